//! berth-agent: the node agent of berth, an ordinary Kubernetes API client.
//!
//! It registers a Node, keeps its Lease and Ready condition fresh, and runs the pods
//! bound to it through a [`runtime::PodRuntime`]. Today the only runtime is the simulated
//! one ([`runtime::simulated`], like kwok): pods go Pending → Running → Ready in
//! milliseconds and deletion honours grace periods, without containers. A CRI
//! (containerd) runtime plugs in behind the same trait.

pub mod config;
pub mod error;
pub mod events;
pub mod node;
pub mod pod_status;
pub mod pods;
pub mod runtime;

use std::time::Duration;

use kube::Client;
use tokio::sync::watch;
use tracing::{Instrument, info_span, warn};

pub use config::SimulatedNodeConfig;
pub use error::Error;
use runtime::simulated::SimulatedRuntime;

const REGISTER_RETRY_FIRST: Duration = Duration::from_millis(200);
const REGISTER_RETRY_MAX: Duration = Duration::from_secs(10);

/// Runs one simulated node until `stop` turns true (or its sender is dropped): registers
/// the Node (retrying until the API server takes it), then renews its heartbeats and
/// runs its pods. Fails only on an invalid configuration.
pub async fn run_simulated(
    client: Client,
    config: SimulatedNodeConfig,
    mut stop: watch::Receiver<bool>,
) -> Result<(), Error> {
    node::check_config(&config)?;
    let runtime = SimulatedRuntime::new(&config.pod_cidr, config.termination_delay)?;
    let span = info_span!("simulated_node", node = %config.name);
    async move {
        let mut delay = REGISTER_RETRY_FIRST;
        loop {
            match node::register(&client, &config).await {
                Ok(_) => break,
                Err(error) => warn!(%error, "registering the node failed; will retry"),
            }
            tokio::select! {
                () = crate::stop_requested(&mut stop) => return,
                () = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(REGISTER_RETRY_MAX);
        }
        tokio::join!(
            node::heartbeat(client.clone(), config.clone(), stop.clone()),
            pods::run_pod_worker(
                client,
                config.name.clone(),
                config.internal_ip.to_string(),
                runtime,
                stop,
            ),
        );
    }
    .instrument(span)
    .await;
    Ok(())
}

/// Completes when `stop` turns true or its sender is dropped.
pub(crate) async fn stop_requested(stop: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`: drop it here, not across an await.
    let _ = stop.wait_for(|stop| *stop).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `berth server` spawns `run_simulated` on the tokio runtime: this fails to compile if
    /// the future stops being `Send + 'static`.
    #[test]
    fn agent_can_be_spawned() {
        fn spawnable<F: Future + Send + 'static>(
            _: fn(Client, SimulatedNodeConfig, watch::Receiver<bool>) -> F,
        ) {
        }
        spawnable(run_simulated);
    }
}
