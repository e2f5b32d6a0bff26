//! The SFTP backend keeps several requests in flight: over a link with a fixed delay, a
//! transfer takes far less than one round trip per request. (A structural check with a
//! wide margin, not a speed target: a one-request-at-a-time loop needs at least
//! `requests × RTT`, and the assertion allows half of that.)
#![cfg(feature = "sftp")]

mod sftp_support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use remote_store_async::AsyncStore;
use remote_store_sftp::AsyncSftpBackend;
use sftp_support::Sshd;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One-way delay added to every chunk in both directions.
const DELAY: Duration = Duration::from_millis(50);
/// The backend's request size (128 KiB).
const REQUEST: usize = 128 * 1024;

/// A TCP proxy that delivers every chunk `DELAY` after it arrived, in order, without
/// limiting throughput (a long fat pipe).
async fn delay_proxy(upstream: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = TcpStream::connect(upstream).await.unwrap();
            client.set_nodelay(true).unwrap();
            server.set_nodelay(true).unwrap();
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::spawn(delayed(cr, sw));
            tokio::spawn(delayed(sr, cw));
        }
    });
    addr
}

async fn delayed(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    tokio::spawn(async move {
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due.into()).await;
            if to.write_all(&chunk).await.is_err() {
                break;
            }
        }
    });
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if tx
                    .send((Instant::now() + DELAY, buf[..n].to_vec()))
                    .is_err()
                {
                    break;
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_and_writes_are_pipelined() {
    let Some(sshd) = Sshd::from_env() else { return };
    let proxy = delay_proxy(sshd.addr()).await;
    let config = sshd.config_via(proxy.port(), "pipelining");
    let store = AsyncStore::new(AsyncSftpBackend::new(config).unwrap(), "").unwrap();
    store.ping().await.unwrap();
    let rtt = 2 * DELAY;

    let len = 8 * 1024 * 1024;
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    let requests = (len / REQUEST) as u32;
    let serial_bound = rtt * requests;

    let started = Instant::now();
    store.write("big.bin", data.clone()).await.unwrap();
    let write = started.elapsed();

    let started = Instant::now();
    let back = store.read_bytes("big.bin").await.unwrap();
    let read = started.elapsed();
    assert_eq!(back.len(), len);
    assert!(back == data, "the content survives the slow link");

    eprintln!(
        "8 MiB over a {rtt:?} RTT link: write {write:?}, read {read:?}; one request at a \
         time would need at least {serial_bound:?} each"
    );
    assert!(
        write < serial_bound / 2,
        "write took {write:?}: not pipelined"
    );
    assert!(read < serial_bound / 2, "read took {read:?}: not pipelined");
}
