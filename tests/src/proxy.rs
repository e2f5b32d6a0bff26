//! [`FaultProxy`]: a TCP proxy on 127.0.0.1 that can cut or stall connections after a
//! number of bytes, for fault-injection tests against real servers.
//!
//! The proxy runs on its own runtime thread, so sync and async tests use it alike.
//!
//! ```no_run
//! use remote_store_tests::proxy::{Direction, Fault, FaultProxy};
//!
//! let upstream = "127.0.0.1:9000".parse().unwrap();
//! let proxy = FaultProxy::start(upstream).unwrap();
//! proxy.set_fault(Fault::CutAfter { bytes: 1 << 20, direction: Direction::Upload });
//! // point the client at proxy.addr() ...
//! ```

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Which way the counted bytes flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client → server.
    Upload,
    /// Server → client.
    Download,
    /// Both ways, counted separately.
    Both,
}

impl Direction {
    fn includes(self, upload: bool) -> bool {
        match self {
            Direction::Both => true,
            Direction::Upload => upload,
            Direction::Download => !upload,
        }
    }
}

/// What happens to connections opened after [`FaultProxy::set_fault`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fault {
    /// Pass everything through.
    #[default]
    None,
    /// Close both sides once `bytes` have passed in `direction`.
    CutAfter {
        /// Bytes passed before the cut.
        bytes: u64,
        /// Which way is counted.
        direction: Direction,
    },
    /// Stop forwarding (keep the connection open, silent) once `bytes` have passed.
    StallAfter {
        /// Bytes passed before the stall.
        bytes: u64,
        /// Which way is counted.
        direction: Direction,
    },
    /// Pass everything, but slowly: at most `bytes_per_sec` in `direction`, in small
    /// steps (a slow link that keeps moving).
    Throttle {
        /// The rate.
        bytes_per_sec: u64,
        /// Which way is slowed.
        direction: Direction,
    },
}

/// A fault-injecting TCP proxy. Dropping it stops it and closes every connection.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    fault: Arc<Mutex<Fault>>,
    once: Arc<Mutex<Option<Fault>>>,
    generation: watch::Sender<u64>,
    connections: Arc<AtomicU64>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts a proxy on a free 127.0.0.1 port forwarding to `upstream`.
    ///
    /// # Errors
    /// When the listener cannot be bound or the runtime cannot start.
    pub fn start(upstream: SocketAddr) -> io::Result<FaultProxy> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("fault-proxy")
            .enable_all()
            .build()?;
        // Bound with std so that starting a proxy inside a tokio runtime cannot panic.
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let fault = Arc::new(Mutex::new(Fault::None));
        let once = Arc::new(Mutex::new(None));
        let (generation, gen_rx) = watch::channel(0u64);
        let connections = Arc::new(AtomicU64::new(0));
        let (shutdown, mut shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let (fault2, once2, conns2) = (
            Arc::clone(&fault),
            Arc::clone(&once),
            Arc::clone(&connections),
        );
        let thread = std::thread::Builder::new()
            .name("fault-proxy".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = TcpListener::from_std(std_listener) else {
                        return;
                    };
                    loop {
                        tokio::select! {
                            _ = &mut shutdown_rx => break,
                            accepted = listener.accept() => {
                                let Ok((client, _)) = accepted else { continue };
                                let _ = client.set_nodelay(true);
                                let first = once2.lock().unwrap_or_else(|p| p.into_inner()).take();
                                let fault = first.unwrap_or_else(|| {
                                    *fault2.lock().unwrap_or_else(|p| p.into_inner())
                                });
                                conns2.fetch_add(1, Ordering::SeqCst);
                                tokio::spawn(serve(client, upstream, fault, gen_rx.clone()));
                            }
                        }
                    }
                });
                runtime.shutdown_background();
            })?;
        Ok(FaultProxy {
            addr,
            fault,
            once,
            generation,
            connections,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, for HTTP endpoints.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sets the fault for connections opened from now on.
    pub fn set_fault(&self, fault: Fault) {
        *self.fault.lock().unwrap_or_else(|p| p.into_inner()) = fault;
    }

    /// Sets the fault for the next connection opened, only; later ones get the fault of
    /// [`set_fault`](Self::set_fault). For a request whose retry must get through (a
    /// response lost after the server acted on the request).
    pub fn set_fault_once(&self, fault: Fault) {
        *self.once.lock().unwrap_or_else(|p| p.into_inner()) = Some(fault);
    }

    /// Drops every live connection (new ones are accepted as usual).
    pub fn cut_all(&self) {
        self.generation.send_modify(|g| *g += 1);
    }

    /// How many connections the proxy has accepted.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.cut_all();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn serve(
    client: TcpStream,
    upstream: SocketAddr,
    fault: Fault,
    mut cut: watch::Receiver<u64>,
) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = server.set_nodelay(true);
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    let killed = tokio::sync::Notify::new();
    let up = pipe(cr, sw, fault, true, &killed);
    let down = pipe(sr, cw, fault, false, &killed);
    // A cut in either direction, or `cut_all`, drops both halves of both sockets at once.
    tokio::select! {
        _ = async { tokio::join!(up, down) } => {}
        _ = killed.notified() => {}
        _ = cut.changed() => {}
    }
}

/// Copies one direction, applying `fault` to the bytes of that direction.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    fault: Fault,
    upload: bool,
    killed: &tokio::sync::Notify,
) {
    let throttle = match fault {
        Fault::Throttle {
            bytes_per_sec,
            direction,
        } if direction.includes(upload) => Some(bytes_per_sec.max(1)),
        _ => None,
    };
    let (limit, stall) = match fault {
        Fault::CutAfter { bytes, direction } if direction.includes(upload) => (Some(bytes), false),
        Fault::StallAfter { bytes, direction } if direction.includes(upload) => (Some(bytes), true),
        _ => (None, false),
    };
    let mut passed = 0u64;
    // Throttled: read in steps of a tenth of a second's worth.
    let step = throttle.map_or(64 * 1024, |rate| {
        usize::try_from(rate / 10).unwrap_or(1).max(1)
    });
    let mut buf = vec![0u8; step.min(64 * 1024)];
    loop {
        if throttle.is_some() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let allowed = limit.map_or(n as u64, |l| (l.saturating_sub(passed)).min(n as u64)) as usize;
        if allowed > 0 && to.write_all(&buf[..allowed]).await.is_err() {
            break;
        }
        passed += allowed as u64;
        if allowed < n {
            if stall {
                // Hold the connection open and silent until the other side gives up.
                loop {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
            }
            killed.notify_one();
            return;
        }
    }
    let _ = to.shutdown().await;
}
