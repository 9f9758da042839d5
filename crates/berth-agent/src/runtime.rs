//! The seam between the pod worker and whatever runs containers.
//!
//! The pod worker decides *when* a pod starts or stops and writes its status; a
//! [`PodRuntime`] does the starting and stopping and reports container statuses. The
//! simulated runtime lives in [`simulated`]; a CRI (containerd) runtime will implement the
//! same trait.

pub mod simulated;

use std::future::Future;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};

use crate::Error;

/// What the runtime reports once a pod's sandbox and containers are up.
#[derive(Debug, Clone, PartialEq)]
pub struct StartedPod {
    /// The pod's addresses, primary first.
    pub pod_ips: Vec<String>,
    pub init_container_statuses: Vec<ContainerStatus>,
    pub container_statuses: Vec<ContainerStatus>,
}

/// What the runtime reports once a pod's containers have stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct StoppedPod {
    pub init_container_statuses: Vec<ContainerStatus>,
    pub container_statuses: Vec<ContainerStatus>,
}

/// Runs the containers of the pods bound to this node.
pub trait PodRuntime: Send + Sync + 'static {
    /// Starts the pod's sandbox and containers (volumes are already available).
    fn start_pod(
        &self,
        pod: &Pod,
        now: Timestamp,
    ) -> impl Future<Output = Result<StartedPod, Error>> + Send;

    /// Stops the pod's containers, giving them up to `grace` to exit.
    fn stop_pod(&self, pod: &Pod, grace: Duration) -> impl Future<Output = StoppedPod> + Send;

    /// Records a pod that was already running when the agent started, so that its
    /// resources (addresses) are not handed out again.
    fn adopt_pod(&self, pod: &Pod);

    /// Releases what a pod that no longer exists held.
    fn forget_pod(&self, uid: &str);
}
