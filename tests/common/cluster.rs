//! A PostgreSQL server of a test's own (initdb in a temporary directory, its own port), which
//! the test may stop and start without disturbing the tests that share the machine's server.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// A PostgreSQL server of this test's own, which it may stop and start.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl Cluster {
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    async fn run(&self, program: &str, args: &[String]) {
        let path = self.bin.join(program);
        let mut command = if is_root() {
            let mut c = tokio::process::Command::new("runuser");
            c.arg("-u").arg("postgres").arg("--").arg(&path);
            c
        } else {
            tokio::process::Command::new(&path)
        };
        let output = command.args(args).output().await.expect("runs");
        assert!(
            output.status.success(),
            "{program} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    pub async fn create() -> Self {
        let versions = std::fs::read_dir("/usr/lib/postgresql").expect("PostgreSQL is installed");
        let version = versions
            .filter_map(Result::ok)
            .map(|e| e.path())
            .max()
            .expect("a version");
        let dir = tempfile::tempdir().expect("dir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
            .expect("chmod");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let cluster = Self {
            dir,
            bin: version.join("bin"),
            port,
        };
        let data = cluster.data().display().to_string();
        cluster
            .run(
                "initdb",
                &[
                    "-D".into(),
                    data,
                    "-A".into(),
                    "trust".into(),
                    "-U".into(),
                    "postgres".into(),
                    "--no-sync".into(),
                ],
            )
            .await;
        cluster.start().await;
        cluster
    }

    pub async fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D".into(),
                self.data().display().to_string(),
                "-o".into(),
                options,
                "-l".into(),
                log,
                "-w".into(),
                "start".into(),
            ],
        )
        .await;
    }

    pub async fn stop(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D".into(),
                self.data().display().to_string(),
                "-m".into(),
                "fast".into(),
                "-w".into(),
                "stop".into(),
            ],
        )
        .await;
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let pg_ctl = self.bin.join("pg_ctl");
        let data = self.data();
        let mut command = if is_root() {
            let mut c = std::process::Command::new("runuser");
            c.arg("-u").arg("postgres").arg("--").arg(&pg_ctl);
            c
        } else {
            std::process::Command::new(&pg_ctl)
        };
        let _ = command
            .arg("-D")
            .arg(data)
            .arg("-m")
            .arg("immediate")
            .arg("stop")
            .output();
    }
}

pub fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
}
