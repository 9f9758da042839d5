//! The `berth` binary: CLI, configuration and wiring of the components.

mod kubeconfig;
mod server;

use clap::{Parser, Subcommand};

/// glibc's malloc keeps the peaks of many threads' arenas and spends list-sized responses'
/// time in page faults and chunk consolidation; mimalloc returns freed pages and is
/// several times faster for the small short-lived allocations JSON handling makes.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "berth",
    version,
    about = "A Kubernetes-compatible platform for stateful workloads, in one binary"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the control plane (API server, store, controllers) and, by default, a node.
    Server(server::ServerArgs),
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BERTH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Server(args) => runtime.block_on(server::run(args)),
    }
}
