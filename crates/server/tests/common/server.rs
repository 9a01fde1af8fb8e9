//! The server binary as a child process on a data directory (killed with SIGKILL and started
//! again on the same port), and the databases the tests run it on.

use super::*;

pub const BIN: &str = env!("CARGO_BIN_EXE_latarnia-server");

pub fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

/// The real server binary on a data directory; killable and restartable on the same port.
pub struct Server {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// More command-line flags.
    pub extra: Vec<String>,
    child: Option<Child>,
    /// The first-start admin's password, when this process printed one.
    pub first_admin: Option<(String, String)>,
}

impl Server {
    pub fn start(data_dir: &Path) -> Server {
        Server::start_with(data_dir, "", free_addr())
    }

    pub fn start_with(data_dir: &Path, database_url: &str, addr: SocketAddr) -> Server {
        Server::start_args(data_dir, database_url, addr, &[])
    }

    pub fn start_args(data_dir: &Path, database_url: &str, addr: SocketAddr, extra: &[&str]) -> Server {
        let mut s = Server {
            addr,
            data_dir: data_dir.to_owned(),
            database_url: database_url.to_owned(),
            extra: extra.iter().map(|a| a.to_string()).collect(),
            child: None,
            first_admin: None,
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let mut child = Command::new(BIN)
            .args(["--addr", &self.addr.to_string()])
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(["--database-url", &self.database_url, "--dist", "/nonexistent"])
            .args(&self.extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start latarnia-server");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            if out.read_line(&mut line).unwrap() == 0 {
                panic!("the server exited before it was ready");
            }
            if let Some(rest) = line.strip_prefix("First start: sign in as ") {
                let parts: Vec<&str> = rest.split('"').collect();
                let password = std::fs::read_to_string(parts[3]).expect("the first password's file");
                self.first_admin = Some((parts[1].to_owned(), password.trim().to_owned()));
            }
            if line.starts_with("Latarnia is running at") {
                break;
            }
        }
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in out.lines() {});
        self.child = Some(child);
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL: no shutdown, no flush — whatever was not committed is gone.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    /// Runs an admin command against the same database.
    pub fn admin(&self, args: &[&str], stdin: &str) -> String {
        let mut child = Command::new(BIN)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(["--database-url", &self.database_url])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs an admin command that must fail; what it says on standard error.
    pub fn admin_fails(&self, args: &[&str]) -> String {
        let out = Command::new(BIN)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(["--database-url", &self.database_url])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} succeeded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// A new user (password from stdin) in the first organisation.
    pub fn add_user(&self, login: &str, role: &str) {
        self.admin(
            &["user", "add", "--org", "Latarnia", "--login", login, "--role", role, "--password-stdin"],
            "password-of-the-test\n",
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The PostgreSQL server the tests may use: `LATARNIA_TEST_POSTGRES` (a URL whose role may
/// create databases). `cargo xtask test` installs, starts and names one. Without it a
/// PostgreSQL test fails under CI and is skipped, saying so, elsewhere.
pub fn pg_base() -> Option<String> {
    match std::env::var("LATARNIA_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok() => panic!("LATARNIA_TEST_POSTGRES is not set (cargo xtask test sets it)"),
        _ => {
            eprintln!("skipped: no LATARNIA_TEST_POSTGRES (cargo xtask test provides one)");
            None
        }
    }
}

/// A new, empty database on the test PostgreSQL; its URL.
pub async fn pg_fresh_db() -> Option<String> {
    let base = pg_base()?;
    let (client, conn) =
        tokio_postgres::connect(&base, tokio_postgres::NoTls).await.expect("connect to the test PostgreSQL");
    tokio::spawn(conn);
    let name = format!("latarnia_t_{}", Uuid::new_v4().simple());
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    let (head, _) = base.rsplit_once('/').expect("a URL with a database name");
    Some(format!("{head}/{name}"))
}

/// Which database a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The `--database-url` for a fresh database, or `None` when this backend is not available.
    pub async fn fresh_url(self) -> Option<String> {
        match self {
            Backend::Sqlite => Some(String::new()),
            Backend::Postgres => pg_fresh_db().await,
        }
    }
}
