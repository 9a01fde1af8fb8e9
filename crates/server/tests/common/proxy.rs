//! A fault-injecting HTTP proxy in front of the server.

use super::*;

/// What the proxy does to requests, decided per request from its seed.
#[derive(Clone, Copy, Default)]
pub struct Faults {
    pub drop_request: f64,
    pub drop_answer: f64,
    pub duplicate: f64,
    pub max_delay_ms: u64,
}

/// A fault-injecting HTTP proxy: drops requests, drops answers after the server committed,
/// sends requests twice, delays them.
pub struct Proxy {
    pub addr: SocketAddr,
    pub faults: Arc<Mutex<Faults>>,
    pub counts: Arc<[AtomicU64; 4]>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(upstream: String, seed: u64) -> Proxy {
        let faults = Arc::new(Mutex::new(Faults::default()));
        let counts: Arc<[AtomicU64; 4]> = Arc::new(Default::default());
        let rng = Arc::new(Mutex::new(Rng::new(seed)));
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        let (f, c) = (faults.clone(), counts.clone());
        let handler = move |req: axum::extract::Request| {
            let (faults, counts, rng, client, upstream) =
                (f.clone(), c.clone(), rng.clone(), client.clone(), upstream.clone());
            async move {
                let fault = *faults.lock().unwrap();
                let (drop_req, drop_ans, dup, delay) = {
                    let mut r = rng.lock().unwrap();
                    (
                        r.chance(fault.drop_request),
                        r.chance(fault.drop_answer),
                        r.chance(fault.duplicate),
                        r.below(fault.max_delay_ms + 1),
                    )
                };
                tokio::time::sleep(Duration::from_millis(delay)).await;
                let bad_gateway = axum::http::StatusCode::BAD_GATEWAY;
                if drop_req {
                    counts[0].fetch_add(1, Ordering::Relaxed);
                    return (bad_gateway, Vec::new());
                }
                let (parts, body) = req.into_parts();
                let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
                let url = format!("{upstream}{}", parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"));
                let send = || {
                    let mut b = client.request(parts.method.clone(), &url).body(body.clone());
                    for (k, v) in parts.headers.iter() {
                        if k != axum::http::header::HOST {
                            b = b.header(k, v);
                        }
                    }
                    b.send()
                };
                if dup {
                    counts[2].fetch_add(1, Ordering::Relaxed);
                    let _ = send().await;
                }
                let resp = match send().await {
                    Ok(r) => r,
                    Err(_) => return (bad_gateway, Vec::new()),
                };
                let status = axum::http::StatusCode::from_u16(resp.status().as_u16()).unwrap();
                let bytes = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
                if drop_ans {
                    counts[1].fetch_add(1, Ordering::Relaxed);
                    return (bad_gateway, Vec::new());
                }
                counts[3].fetch_add(1, Ordering::Relaxed);
                (status, bytes)
            }
        };
        let app = axum::Router::new().fallback(handler);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Proxy { addr, faults, counts, task }
    }

    pub fn set(&self, f: Faults) {
        *self.faults.lock().unwrap() = f;
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// (dropped requests, dropped answers, duplicated requests, passed)
    pub fn tally(&self) -> [u64; 4] {
        [0, 1, 2, 3].map(|i| self.counts[i].load(Ordering::Relaxed))
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
