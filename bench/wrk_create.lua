-- wrk script for bench/api_throughput.py: every request creates one new object with a
-- unique name, either a ConfigMap through berth's API or a raw key through etcd's
-- gRPC-gateway (/v3/kv/put). Arguments (after `--`): mode ("configmap" | "etcd"), a run
-- label that makes names unique across runs, and for "configmap" the payload size in
-- bytes. Environment: BENCH_TOKEN (berth's bearer token), BENCH_VALUE_B64 (the etcd value,
-- base64). done() prints one `BENCH_JSON {...}` line that the Python side parses.

local next_thread_id = 0

function setup(thread)
  -- Runs in the main Lua state; each thread gets its own id as a global.
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
end

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function digit(n)
  return alphabet:sub(n + 1, n + 1)
end

-- etcd's JSON gateway takes keys and values as base64 bytes.
local function base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    out[#out + 1] = digit(math.floor(n / 262144) % 64)
      .. digit(math.floor(n / 4096) % 64)
      .. (b and digit(math.floor(n / 64) % 64) or "=")
      .. (c and digit(n % 64) or "=")
  end
  return table.concat(out)
end

local counter = 0
local mode, label, payload, value_b64

function init(args)
  mode = args[1]
  label = args[2]
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if mode == "configmap" then
    payload = string.rep("x", tonumber(args[3]))
    wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
  else
    value_b64 = os.getenv("BENCH_VALUE_B64")
  end
end

function request()
  counter = counter + 1
  local name = label .. "-" .. thread_id .. "-" .. counter
  local body
  if mode == "configmap" then
    body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"' .. name
      .. '"},"data":{"payload":"' .. payload .. '"}}'
  else
    -- The same key layout kube-apiserver uses in etcd.
    body = '{"key":"' .. base64("/registry/configmaps/bench/" .. name)
      .. '","value":"' .. value_b64 .. '"}'
  end
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"status_errors":%d,"connect_errors":%d,'
      .. '"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,'
      .. '"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
