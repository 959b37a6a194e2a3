//! HTTPS for `wxdesk central serve --tls-cert PEM --tls-key PEM`: rustls behind a listener that
//! axum serves like a plain TCP one.
//!
//! Handshakes run in tasks of their own, so a slow or hostile client cannot hold up others;
//! finished connections queue for axum's accept loop. A failed handshake (a console that does
//! not trust the certificate, a port scanner) is logged and dropped. Handshakes are bounded in
//! number and in time ([`Limits`]): a connection that arrives while the bound is reached is
//! closed at once (the client retries), so silent sockets cannot pile up.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::limits::Limits;

/// Connections handshaken but not yet taken by the server.
const BACKLOG: usize = 64;

/// Why the certificate or key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or holds no PEM of the expected kind.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// rustls refused the pair (key does not match, unsupported algorithm).
    #[error("certificate and key: {0}")]
    Config(#[from] rustls::Error),
}

/// The server configuration from a PEM certificate chain (leaf first) and a PEM private key.
pub fn server_config(cert: &Path, key: &Path) -> Result<rustls::ServerConfig, TlsError> {
    let file_error = |path: &Path, reason: String| TlsError::File {
        path: path.display().to_string(),
        reason,
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| file_error(cert, e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(file_error(cert, "no CERTIFICATE block found".into()));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| file_error(key, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A TCP listener that hands axum TLS streams.
#[derive(Debug)]
pub struct TlsListener {
    addr: SocketAddr,
    accepted: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    acceptor: JoinHandle<()>,
}

impl TlsListener {
    /// Accepts on `tcp` and handshakes with `config`, within `limits`' handshake bounds. Must
    /// be called inside a tokio runtime.
    pub fn new(
        tcp: TcpListener,
        config: rustls::ServerConfig,
        limits: &Limits,
    ) -> io::Result<Self> {
        let addr = tcp.local_addr()?;
        let tls = TlsAcceptor::from(Arc::new(config));
        let (sender, accepted) = mpsc::channel(BACKLOG);
        let in_flight = Arc::new(Semaphore::new(limits.handshakes_in_flight));
        let timeout = limits.handshake_timeout;
        let acceptor = tokio::spawn(async move {
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let Ok(permit) = Arc::clone(&in_flight).try_acquire_owned() else {
                    // Debug, not info: a flood of these is what the bound is for.
                    tracing::debug!(%peer, "TLS handshakes at their bound; connection closed");
                    continue;
                };
                let tls = tls.clone();
                let sender = sender.clone();
                tokio::spawn(async move {
                    // Held until the connection is handed to the server or dropped.
                    let _permit = permit;
                    match tokio::time::timeout(timeout, tls.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            let _ = sender.send((stream, peer)).await; // the server has stopped
                        }
                        Ok(Err(error)) => {
                            tracing::info!(%peer, %error, "TLS handshake failed");
                        }
                        Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self {
            addr,
            accepted,
            acceptor,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.accepted.recv().await {
            Some(connection) => connection,
            // The acceptor task is gone only when the listener is being dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.addr)
    }
}
