//! `berth server`: the store, the API server over TLS, the controllers, and their lifecycle.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use berth_apiserver::{AppState, Authenticator, ServerConfig, User};
use berth_store::Store;
use clap::{Args, ValueEnum};
use serde_json::{Value, json};

#[derive(Args, Debug)]
pub struct ServerArgs {
    /// Where state, certificates and the admin kubeconfig live.
    #[arg(long, default_value = "berth-data")]
    data_dir: PathBuf,
    /// Address of the Kubernetes API (HTTPS). Loopback unless told otherwise.
    #[arg(long, default_value = "127.0.0.1:6443")]
    listen: SocketAddr,
    /// Address of the web console (arrives with the console issue).
    #[arg(long, default_value = "127.0.0.1:8080")]
    console_listen: SocketAddr,
    /// State store: `sqlite` (embedded) or `etcd://HOST:PORT[,…]`.
    #[arg(long, default_value = "sqlite")]
    store: String,
    /// What runs pods on this machine.
    #[arg(long, value_enum, default_value_t = NodeMode::Simulated)]
    node_mode: NodeMode,
    /// How many simulated nodes to run with `--node-mode simulated`.
    #[arg(long, default_value_t = 1)]
    simulated_nodes: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum NodeMode {
    Containerd,
    Simulated,
    None,
}

/// Bearer tokens, kept in the data directory so restarts keep the kubeconfig valid.
fn load_or_create_tokens(dir: &Path) -> anyhow::Result<Value> {
    let path = dir.join("tokens.json");
    if let Ok(raw) = std::fs::read(&path) {
        return serde_json::from_slice(&raw)
            .with_context(|| format!("{} is not valid JSON", path.display()));
    }
    let tokens =
        json!({"admin": berth_apiserver::new_token(), "controllers": berth_apiserver::new_token()});
    berth_apiserver::tls::write_private_file(&path, tokens.to_string().as_bytes())?;
    Ok(tokens)
}

fn env_ms(name: &str, default: u64) -> Duration {
    Duration::from_millis(
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

pub async fn run(args: ServerArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    if args.store != "sqlite" {
        anyhow::bail!(
            "--store {}: only the embedded sqlite store is available in this build",
            args.store
        );
    }
    if args.node_mode == NodeMode::Containerd {
        anyhow::bail!("--node-mode containerd is not available yet; use simulated or none");
    }
    if args.node_mode == NodeMode::Simulated && args.simulated_nodes == 0 {
        anyhow::bail!("--simulated-nodes must be at least 1 with --node-mode simulated");
    }
    let dir = &args.data_dir;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }

    let sqlite = berth_store::sqlite::SqliteStore::open(&dir.join("state.db"))
        .context("opening the store")?;
    let keep = std::env::var("BERTH_COMPACT_KEEP")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    berth_store::sqlite::spawn_compactor(
        sqlite.clone(),
        env_ms("BERTH_COMPACT_INTERVAL_MS", 300_000),
        keep,
    );
    let store: Arc<dyn Store> = sqlite.clone();
    berth_apiserver::event_expiry::spawn_event_expiry(
        Arc::downgrade(&store),
        env_ms(
            "BERTH_EVENT_TTL_MS",
            berth_apiserver::event_expiry::DEFAULT_EVENT_TTL.as_millis() as u64,
        ),
        env_ms("BERTH_EVENT_EXPIRY_INTERVAL_MS", 60_000),
    );

    let material = berth_apiserver::tls::load_or_generate(dir).context("preparing certificates")?;
    let tls = berth_apiserver::tls::server_config(&material)?;
    let tokens = load_or_create_tokens(dir)?;
    let admin_token = tokens["admin"]
        .as_str()
        .context("tokens.json lacks admin")?
        .to_string();
    let controller_token = tokens["controllers"]
        .as_str()
        .context("tokens.json lacks controllers")?
        .to_string();
    let mut authenticator = Authenticator::new();
    authenticator.add_token(
        admin_token.clone(),
        User {
            name: "admin".into(),
            groups: vec!["system:masters".into()],
        },
    );
    authenticator.add_token(
        controller_token.clone(),
        User {
            name: "system:berth-controllers".into(),
            groups: vec!["system:masters".into()],
        },
    );

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let bound = listener.local_addr()?;
    let config = ServerConfig {
        bookmark_interval: env_ms("BERTH_BOOKMARK_INTERVAL_MS", 60_000),
        external_address: bound.to_string(),
    };
    let state = AppState::new(store.clone(), authenticator, config);
    berth_apiserver::bootstrap(&state)
        .await
        .map_err(|e| anyhow::anyhow!("bootstrapping namespaces: {e}"))?;
    let router = berth_apiserver::router(state.clone());

    let server_url = format!("https://{bound}");
    let kubeconfig = dir.join("kubeconfig");
    berth_apiserver::tls::write_private_file(
        &kubeconfig,
        crate::kubeconfig::render(&server_url, &material.ca_pem, &admin_token).as_bytes(),
    )?;

    // Each component names itself like its upstream counterpart, so managedFields show who
    // wrote what (upstream names an unnamed field manager after the user agent).
    let client = in_process_client(router.clone(), &controller_token, "kube-controller-manager");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let controllers_config = berth_controllers::ControllersConfig {
        node_lifecycle: node_lifecycle_config(),
        root_ca_pem: material.ca_pem.clone(),
    };
    // One watch and one cache per kind for every in-process component.
    let informers = berth_controllers::Informers::new(client.clone(), stop_rx.clone());
    let controllers = tokio::spawn(berth_controllers::run(
        informers.clone(),
        controllers_config,
        stop_rx.clone(),
    ));
    let volumes = berth_controllers::VolumesConfig {
        base_dir: dir.clone(),
        create_dirs: args.node_mode == NodeMode::Containerd,
    };
    let volume_controller = tokio::spawn(berth_controllers::run_volume_controller(
        informers.clone(),
        volumes,
        berth_controllers::stopped(stop_rx.clone()),
    ));

    let scheduler_client = in_process_client(router.clone(), &controller_token, "kube-scheduler");
    let mut workers = vec![tokio::spawn(berth_scheduler::run(
        informers.with_client(scheduler_client),
        stop_rx.clone(),
    ))];
    let kubelet_client = in_process_client(router.clone(), &controller_token, "kubelet");
    if args.node_mode == NodeMode::Simulated {
        for index in 0..args.simulated_nodes as usize {
            let config =
                berth_agent::SimulatedNodeConfig::numbered(simulated_node_name(index), index);
            let (client, stop) = (kubelet_client.clone(), stop_rx.clone());
            workers.push(tokio::spawn(async move {
                if let Err(error) = berth_agent::run_simulated(client, config, stop).await {
                    tracing::error!(%error, "simulated node stopped");
                }
            }));
        }
    }

    let serve = tokio::spawn(berth_apiserver::serve_tls(
        listener,
        tls,
        router,
        wait_stop(stop_rx.clone()),
    ));
    state.set_ready();
    tracing::info!(api = %server_url, kubeconfig = %kubeconfig.display(), node_mode = ?args.node_mode, startup_ms = started.elapsed().as_millis() as u64, "berth is ready");

    shutdown_signal().await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        tokio::join!(controllers, volume_controller)
    })
    .await;
    let _ = tokio::time::timeout(Duration::from_secs(2), serve).await;
    drop(state);
    sqlite.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Node health timing; `BERTH_NODE_MONITOR_GRACE_MS` shortens the grace period for tests.
fn node_lifecycle_config() -> berth_controllers::NodeLifecycleConfig {
    let mut config = berth_controllers::NodeLifecycleConfig::default();
    if std::env::var("BERTH_NODE_MONITOR_GRACE_MS").is_ok() {
        let grace = env_ms("BERTH_NODE_MONITOR_GRACE_MS", 40_000);
        config.grace_period = grace;
        config.startup_grace_period = grace;
        config.monitor_period = config.monitor_period.min(grace / 4);
    }
    config
}

/// Simulated nodes are `sim-0`, `sim-1`, … so their names say what they are.
fn simulated_node_name(index: usize) -> String {
    format!("sim-{index}")
}

async fn wait_stop(mut rx: tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("installing the SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// A Kubernetes client whose requests go straight into the router, authenticated as the
/// controllers, without a socket.
fn in_process_client(router: axum::Router, token: &str, component: &str) -> kube::Client {
    use tower::ServiceExt;
    let auth = http::HeaderValue::from_str(&format!("Bearer {token}")).expect("token is ASCII");
    let agent = http::HeaderValue::from_str(&format!(
        "{component}/v1.37.0 (linux) berth/{}",
        env!("CARGO_PKG_VERSION")
    ))
    .expect("component names are ASCII");
    let service = router.map_request(move |mut req: http::Request<kube::client::Body>| {
        let headers = req.headers_mut();
        headers.insert(http::header::AUTHORIZATION, auth.clone());
        headers.insert(http::header::USER_AGENT, agent.clone());
        req
    });
    kube::Client::new(service, "default")
}
