//! `resource.Quantity` semantics: parsing ("500m", "1Gi", "2", "1e3"), comparison and the
//! canonical string form upstream writes back ("1000m" → "1", "1024Mi" → "1Gi").

use std::cmp::Ordering;

/// The message upstream gives for a string that is not a quantity.
pub const QUANTITY_FORMAT_ERROR: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// How a quantity was written, which decides how it is written back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantityFormat {
    /// Plain numbers and the SI suffixes n, u, m, k, M, G, T, P, E.
    DecimalSi,
    /// Ki, Mi, Gi, Ti, Pi, Ei.
    BinarySi,
    /// `1e3`, `2E-3`.
    DecimalExponent,
}

/// A parsed quantity, held exactly in units of 10^-9 (values finer than that round up).
#[derive(Debug, Clone, Copy)]
pub struct ParsedQuantity {
    nanos: i128,
    format: QuantityFormat,
}

impl PartialEq for ParsedQuantity {
    fn eq(&self, other: &Self) -> bool {
        self.nanos == other.nanos
    }
}

impl Eq for ParsedQuantity {}

impl PartialOrd for ParsedQuantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ParsedQuantity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

const NANOS_PER_UNIT: i128 = 1_000_000_000;

fn pow10(exp: u32) -> Option<i128> {
    10i128.checked_pow(exp)
}

/// Parses a quantity string; `None` when it is not one (or is too large to hold).
pub fn parse_quantity(input: &str) -> Option<ParsedQuantity> {
    let (negative, rest) = match input.as_bytes().first()? {
        b'-' => (true, &input[1..]),
        b'+' => (false, &input[1..]),
        _ => (false, input),
    };
    let number_len = rest
        .bytes()
        .take_while(|c| c.is_ascii_digit() || *c == b'.')
        .count();
    let (number, suffix) = rest.split_at(number_len);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
        return None;
    }
    let (base_exp10, binary_shift, format): (i32, u32, QuantityFormat) = match suffix {
        "" => (0, 0, QuantityFormat::DecimalSi),
        "n" => (-9, 0, QuantityFormat::DecimalSi),
        "u" => (-6, 0, QuantityFormat::DecimalSi),
        "m" => (-3, 0, QuantityFormat::DecimalSi),
        "k" => (3, 0, QuantityFormat::DecimalSi),
        "M" => (6, 0, QuantityFormat::DecimalSi),
        "G" => (9, 0, QuantityFormat::DecimalSi),
        "T" => (12, 0, QuantityFormat::DecimalSi),
        "P" => (15, 0, QuantityFormat::DecimalSi),
        "E" => (18, 0, QuantityFormat::DecimalSi),
        "Ki" => (0, 10, QuantityFormat::BinarySi),
        "Mi" => (0, 20, QuantityFormat::BinarySi),
        "Gi" => (0, 30, QuantityFormat::BinarySi),
        "Ti" => (0, 40, QuantityFormat::BinarySi),
        "Pi" => (0, 50, QuantityFormat::BinarySi),
        "Ei" => (0, 60, QuantityFormat::BinarySi),
        _ => {
            let exp = suffix
                .strip_prefix('e')
                .or_else(|| suffix.strip_prefix('E'))?;
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            (exp.parse::<i32>().ok()?, 0, QuantityFormat::DecimalExponent)
        }
    };
    // mantissa = whole.fraction as an integer scaled by 10^-len(fraction)
    let mut mantissa: i128 = 0;
    for c in whole.bytes().chain(fraction.bytes()) {
        mantissa = mantissa
            .checked_mul(10)?
            .checked_add(i128::from(c - b'0'))?;
    }
    let mantissa = mantissa.checked_mul(1i128.checked_shl(binary_shift)?)?;
    // nanos = mantissa * 10^(base_exp10 + 9 - len(fraction)), rounding up when negative powers cut digits
    let exp = base_exp10 + 9 - i32::try_from(fraction.len()).ok()?;
    let magnitude = if exp >= 0 {
        mantissa.checked_mul(pow10(exp.unsigned_abs())?)?
    } else {
        match pow10(exp.unsigned_abs()) {
            Some(div) => (mantissa + div - 1) / div,
            None => i128::from(mantissa > 0),
        }
    };
    Some(ParsedQuantity {
        nanos: if negative { -magnitude } else { magnitude },
        format,
    })
}

impl ParsedQuantity {
    pub fn format(&self) -> QuantityFormat {
        self.format
    }

    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    pub fn is_negative(&self) -> bool {
        self.nanos < 0
    }

    /// The value in units of 10^-9.
    pub fn nanos(&self) -> i128 {
        self.nanos
    }

    /// The value in thousandths, rounded up (upstream `MilliValue`), e.g. CPU millicores.
    pub fn milli_value(&self) -> i128 {
        ceil_div(self.nanos, 1_000_000)
    }

    /// The value in whole units, rounded up (upstream `Value`), e.g. bytes.
    pub fn value(&self) -> i128 {
        ceil_div(self.nanos, NANOS_PER_UNIT)
    }

    /// The canonical string upstream serializes (`Quantity.String()`).
    pub fn canonical(&self) -> String {
        if self.nanos == 0 {
            return "0".to_string();
        }
        let is_whole = self.nanos % NANOS_PER_UNIT == 0;
        let binary = self.format == QuantityFormat::BinarySi
            && is_whole
            && self.nanos.unsigned_abs() >= 1024 * NANOS_PER_UNIT.unsigned_abs();
        if binary {
            let mut units = self.nanos / NANOS_PER_UNIT;
            let mut shift = 0;
            while shift < 60 && units % 1024 == 0 {
                units /= 1024;
                shift += 10;
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][shift / 10];
            return format!("{units}{suffix}");
        }
        // largest exponent (multiple of 3, from -9) that divides the value exactly
        let mut mantissa = self.nanos;
        let mut exp10: i32 = -9;
        while mantissa % 1000 == 0 {
            mantissa /= 1000;
            exp10 += 3;
        }
        let suffix = if self.format == QuantityFormat::DecimalExponent {
            if exp10 == 0 {
                String::new()
            } else {
                format!("e{exp10}")
            }
        } else {
            match exp10 {
                -9 => "n",
                -6 => "u",
                -3 => "m",
                0 => "",
                3 => "k",
                6 => "M",
                9 => "G",
                12 => "T",
                15 => "P",
                18 => "E",
                // beyond exa: keep the mantissa exact in exa units
                _ => {
                    let scale = pow10((exp10 - 18).unsigned_abs()).unwrap_or(1);
                    return format!("{}E", mantissa * scale);
                }
            }
            .to_string()
        };
        format!("{mantissa}{suffix}")
    }
}

fn ceil_div(a: i128, b: i128) -> i128 {
    let q = a / b;
    if a % b > 0 { q + 1 } else { q }
}

/// Writes a quantity string back in canonical form; strings that do not parse are kept.
pub fn canonicalize(input: &str) -> String {
    parse_quantity(input)
        .map(|q| q.canonical())
        .unwrap_or_else(|| input.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms_match_upstream() {
        let cases = [
            ("500m", "500m"),
            ("1000m", "1"),
            ("1.5", "1500m"),
            ("0.1", "100m"),
            ("2", "2"),
            ("1500", "1500"),
            ("2000", "2k"),
            ("1e3", "1e3"),
            ("1E3", "1e3"),
            ("1500e-3", "1500e-3"),
            ("1Gi", "1Gi"),
            ("1024Mi", "1Gi"),
            ("1.5Gi", "1536Mi"),
            ("512", "512"),
            ("0.5Ki", "512"),
            ("100Ki", "100Ki"),
            ("1k", "1k"),
            ("1M", "1M"),
            ("-1", "-1"),
            ("0", "0"),
            ("0Gi", "0"),
            ("+3", "3"),
            ("0.0000000001", "1n"),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_quantity(input).map(|q| q.canonical()).as_deref(),
                Some(want),
                "{input}"
            );
        }
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["", "abc", "1x", "1e", "1.2.3", "Gi", "1 Gi", "--1", "."] {
            assert!(parse_quantity(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn compares_across_formats() {
        let q = |s| parse_quantity(s).unwrap();
        assert!(q("500m") < q("1"));
        assert_eq!(q("1Ki"), q("1024"));
        assert!(q("1G") < q("1Gi"));
        assert_eq!(q("1e3"), q("1k"));
        assert_eq!(q("250m").milli_value(), 250);
        assert_eq!(q("1.5").value(), 2);
        assert_eq!(q("1Mi").value(), 1_048_576);
    }
}
