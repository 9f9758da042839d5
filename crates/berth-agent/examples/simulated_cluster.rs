//! Runs simulated nodes and the scheduler against any cluster, for trying them out:
//!
//! ```text
//! cargo run -p berth-agent --example simulated_cluster -- KUBECONFIG [NODES]
//! ```
//!
//! Nodes are named `sim-0`, `sim-1`, …; Ctrl-C stops everything.

use berth_agent::{SimulatedNodeConfig, run_simulated};
use kube::config::{KubeConfigOptions, Kubeconfig};
use tokio::sync::watch;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let mut args = std::env::args().skip(1);
    let kubeconfig = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: KUBECONFIG [NODES]"))?;
    let nodes: usize = args.next().map_or(Ok(1), |n| n.parse())?;
    let config = kube::Config::from_custom_kubeconfig(
        Kubeconfig::read_from(kubeconfig)?,
        &KubeConfigOptions::default(),
    )
    .await?;
    let client = kube::Client::try_from(config)?;

    let (stop_sender, stop) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    let informers = berth_informer::Informers::new(client.clone(), stop.clone());
    tasks.spawn(berth_scheduler::run(informers, stop.clone()));
    for index in 0..nodes {
        let config = SimulatedNodeConfig::numbered(format!("sim-{index}"), index);
        let (client, stop) = (client.clone(), stop.clone());
        tasks.spawn(async move {
            if let Err(error) = run_simulated(client, config, stop).await {
                eprintln!("node sim-{index}: {error}");
            }
        });
    }
    tokio::signal::ctrl_c().await?;
    stop_sender.send(true)?;
    while tasks.join_next().await.is_some() {}
    Ok(())
}
