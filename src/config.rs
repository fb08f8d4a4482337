//! The server's configuration: one typed struct, every field a flag with an environment
//! variable. Secrets are redacted from `Debug`, so the configuration can be logged.

use std::fmt;

use clap::Args;

#[derive(Args, Clone)]
pub struct ServeConfig {
    /// Address and port to listen on.
    #[arg(long, env = "RELINKS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,

    #[command(flatten)]
    pub database: DatabaseConfig,

    /// Public base URL used in `web_url`, `direct_asset_url` and pagination links
    /// (default: `http://<listen address>`).
    #[arg(long, env = "RELINKS_EXTERNAL_URL")]
    pub external_url: Option<String>,

    /// Largest request body accepted, in bytes; larger bodies get 413.
    #[arg(long, env = "RELINKS_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Largest request header section accepted (names and values), in bytes; larger get 431.
    #[arg(long, env = "RELINKS_MAX_HEADER_BYTES", default_value_t = 32 * 1024)]
    pub max_header_bytes: usize,

    /// Longest a request may take, in seconds; slower ones are answered 503.
    #[arg(long, env = "RELINKS_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Seconds a client has to send a request's headers once the connection is ready for one
    /// (new, or kept alive after an answer): also how long an idle connection stays open.
    #[arg(long, env = "RELINKS_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,

    /// Most connections served at once; more wait in the listen queue until one closes.
    #[arg(long, env = "RELINKS_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// Seconds in-flight requests have to finish after SIGINT or SIGTERM.
    #[arg(long, env = "RELINKS_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,

    /// Addresses and networks that may read `/-/metrics` (comma-separated; GitLab's
    /// monitoring allow-list). Others get 404.
    #[arg(long, env = "RELINKS_METRICS_ALLOW", default_value = "127.0.0.0/8,::1")]
    pub metrics_allow: String,

    /// Longest link or release name accepted, in characters (GitLab sets none; this is a
    /// guard against abuse, far above what CI jobs send).
    #[arg(long, env = "RELINKS_MAX_NAME_LENGTH", default_value_t = 1024)]
    pub max_name_length: usize,

    /// Most links one release may hold.
    #[arg(long, env = "RELINKS_MAX_LINKS_PER_RELEASE", default_value_t = 10_000)]
    pub max_links_per_release: i64,

    /// Where hosted files are kept: a directory (made when missing), or an S3-compatible bucket
    /// `s3://bucket/prefix` (the prefix is this relinks' own). Default: `<database file>.files`
    /// beside a SQLite database, `relinks-files` for PostgreSQL.
    #[arg(long, env = "RELINKS_STORAGE")]
    pub storage: Option<String>,

    #[command(flatten)]
    pub s3: S3Config,

    /// Largest generic package file, in bytes (GitLab's default: 5 GiB; 0: no limit).
    #[arg(long, env = "RELINKS_MAX_GENERIC_FILE_BYTES", default_value_t = 5 * 1024 * 1024 * 1024)]
    pub max_generic_file_bytes: u64,

    /// Largest project upload, in bytes (GitLab's default: 100 MiB; 0: no limit).
    #[arg(long, env = "RELINKS_MAX_UPLOAD_BYTES", default_value_t = 100 * 1024 * 1024)]
    pub max_upload_bytes: u64,

    /// Seconds a file transfer may go without moving a byte before it is abandoned (transfers
    /// are not cut by --request-timeout-secs, however long they take).
    #[arg(long, env = "RELINKS_TRANSFER_IDLE_TIMEOUT_SECS", default_value_t = 60)]
    pub transfer_idle_timeout_secs: u64,

    /// Allow requests to loopback, private and other non-public addresses when verifying a
    /// link's file and for webhooks (GitLab's "allow requests to the local network"; refused
    /// by default).
    #[arg(long, env = "RELINKS_ALLOW_LOCAL_NETWORK", default_value_t = false)]
    pub allow_local_network: bool,

    /// Largest file downloaded to verify a link's digest, in bytes.
    #[arg(long, env = "RELINKS_VERIFY_MAX_BYTES", default_value_t = 1024 * 1024 * 1024)]
    pub verify_max_bytes: u64,

    /// Longest such a download may take, in seconds (verifying is not cut by
    /// --request-timeout-secs).
    #[arg(long, env = "RELINKS_VERIFY_TIMEOUT_SECS", default_value_t = 120)]
    pub verify_timeout_secs: u64,

    /// A webhook delivery not answered within this many seconds failed (GitLab's
    /// `webhook_timeout`).
    #[arg(long, env = "RELINKS_WEBHOOK_TIMEOUT_SECS", default_value_t = 10)]
    pub webhook_timeout_secs: u64,

    /// Attempts at one webhook event before it is given up (retries wait 10 s, then twice as
    /// long each time, at most an hour).
    #[arg(long, env = "RELINKS_WEBHOOK_ATTEMPTS", default_value_t = 8)]
    pub webhook_attempts: u32,

    /// Rate limits: `on` (GitLab.com's defaults below) or `off`.
    #[arg(long, env = "RELINKS_RATE_LIMITS", default_value = "on", value_parser = ["on", "off"])]
    pub rate_limits: String,

    /// Requests a minute per authenticated user (0: no limit).
    #[arg(long, env = "RELINKS_RATE_LIMIT_PER_USER", default_value_t = 2000)]
    pub rate_limit_per_user: u64,

    /// Requests a minute per IP address without credentials (0: no limit).
    #[arg(long, env = "RELINKS_RATE_LIMIT_PER_IP", default_value_t = 500)]
    pub rate_limit_per_ip: u64,

    /// Failed authentications a minute from one IP address before it is banned (0: never).
    #[arg(long, env = "RELINKS_AUTH_FAILURES_BEFORE_BAN", default_value_t = 10)]
    pub auth_failures_before_ban: u64,

    /// How long such a ban lasts, in seconds.
    #[arg(long, env = "RELINKS_AUTH_BAN_SECS", default_value_t = 3600)]
    pub auth_ban_secs: u64,

    /// Log format: `text` or `json`.
    #[arg(long, env = "RELINKS_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,

    /// When set, `root` exists as an administrator and this exact string is one of its
    /// personal access tokens (scope `api`). Read from the environment only.
    #[arg(skip = std::env::var("RELINKS_ROOT_TOKEN").ok().filter(|t| !t.is_empty()))]
    pub root_token: Option<String>,

    /// A file holding the secret key for token digests (64 hex digits); made when missing.
    /// Default: `<database file>.secret` beside a SQLite database. `RELINKS_SECRET` (the key
    /// itself, from the environment only) wins over both.
    #[arg(long, env = "RELINKS_SECRET_FILE")]
    pub secret_file: Option<std::path::PathBuf>,

    #[arg(skip = std::env::var("RELINKS_SECRET").ok().filter(|t| !t.is_empty()))]
    pub secret: Option<String>,
}

/// How to reach an S3 bucket given with `--storage s3://…`. Each setting falls back to the
/// standard AWS variable every AWS tool reads.
#[derive(Args, Clone, Default)]
pub struct S3Config {
    /// The S3 endpoint of a self-hosted store (Garage, MinIO, …); AWS's own by default.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    pub s3_endpoint: Option<String>,

    /// The bucket's region (`garage` for Garage's default; `us-east-1` when unset).
    #[arg(long, env = "AWS_REGION")]
    pub s3_region: Option<String>,

    /// The access key id.
    #[arg(long, env = "AWS_ACCESS_KEY_ID")]
    pub s3_access_key_id: Option<String>,

    /// The secret access key (better given in the environment than on a command line).
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub s3_secret_access_key: Option<String>,

    /// Allow a plain `http://` endpoint.
    #[arg(long, env = "AWS_ALLOW_HTTP", default_value_t = false)]
    pub s3_allow_http: bool,

    /// Virtual-hosted addressing (`bucket.host`) instead of path style, which self-hosted
    /// stores expect.
    #[arg(long, env = "RELINKS_S3_VIRTUAL_HOSTED", default_value_t = false)]
    pub s3_virtual_hosted: bool,

    /// Redirect downloads to a pre-signed URL valid this many seconds, instead of streaming
    /// them through relinks (GitLab's `proxy_download: false`). 0: stream (the default).
    #[arg(long, env = "RELINKS_S3_REDIRECT_DOWNLOADS_SECS", default_value_t = 0)]
    pub s3_redirect_downloads_secs: u64,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_region", &self.s3_region)
            .field("s3_access_key_id", &self.s3_access_key_id)
            .field(
                "s3_secret_access_key",
                &self.s3_secret_access_key.as_ref().map(|_| "[redacted]"),
            )
            .field("s3_allow_http", &self.s3_allow_http)
            .field("s3_virtual_hosted", &self.s3_virtual_hosted)
            .field(
                "s3_redirect_downloads_secs",
                &self.s3_redirect_downloads_secs,
            )
            .finish()
    }
}

impl S3Config {
    pub fn settings(&self) -> crate::blobs::s3::S3Settings {
        crate::blobs::s3::S3Settings {
            endpoint: self.s3_endpoint.clone(),
            region: self.s3_region.clone(),
            access_key_id: self.s3_access_key_id.clone(),
            secret_access_key: self.s3_secret_access_key.clone(),
            allow_http: self.s3_allow_http,
            virtual_hosted: self.s3_virtual_hosted,
            redirect_downloads: (self.s3_redirect_downloads_secs > 0)
                .then(|| std::time::Duration::from_secs(self.s3_redirect_downloads_secs)),
        }
    }
}

/// Which database to use, and how (shared by `serve` and `migrate`).
#[derive(Args, Clone, Debug)]
pub struct DatabaseConfig {
    /// Database URL: `sqlite://relinks.db` (relative to the working directory),
    /// `sqlite:///absolute/path.db`, or `postgres://user@host:port/db`. SQLite files are created
    /// with their schema when missing; migrations run at start on both engines.
    #[arg(
        long = "database",
        env = "RELINKS_DATABASE_URL",
        default_value = "sqlite://relinks.db"
    )]
    pub url: String,

    /// PostgreSQL: connections in the pool of this instance.
    #[arg(long, env = "RELINKS_DATABASE_POOL_SIZE", default_value_t = 10)]
    pub database_pool_size: u32,

    /// PostgreSQL: longest a statement may run, in milliseconds.
    #[arg(long, env = "RELINKS_STATEMENT_TIMEOUT_MS", default_value_t = 10_000)]
    pub statement_timeout_ms: u64,

    /// PostgreSQL: longest a request waits for a connection before it is answered 503, in
    /// milliseconds.
    #[arg(
        long,
        env = "RELINKS_DATABASE_ACQUIRE_TIMEOUT_MS",
        default_value_t = 3_000
    )]
    pub acquire_timeout_ms: u64,
}

/// The file of a `sqlite:` database URL; none for other engines.
pub fn sqlite_file(database_url: &str) -> Option<std::path::PathBuf> {
    if !database_url.starts_with("sqlite:") {
        return None;
    }
    let options =
        <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(database_url).ok()?;
    Some(options.get_filename().to_path_buf())
}

impl DatabaseConfig {
    /// A configuration with the defaults for `url`.
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            database_pool_size: 10,
            statement_timeout_ms: 10_000,
            acquire_timeout_ms: 3_000,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres:") || self.url.starts_with("postgresql:")
    }

    pub fn pg_settings(&self) -> crate::store::postgres::PgSettings {
        crate::store::postgres::PgSettings {
            max_connections: self.database_pool_size.max(1),
            statement_timeout: std::time::Duration::from_millis(self.statement_timeout_ms),
            acquire_timeout: std::time::Duration::from_millis(self.acquire_timeout_ms),
        }
    }
}

impl ServeConfig {
    /// The storage `--storage` names (`None`: the default beside the database).
    pub fn storage_settings(&self) -> anyhow::Result<Option<crate::blobs::StorageSettings>> {
        let Some(text) = self.storage.as_deref().filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        let location = crate::blobs::StorageLocation::parse(text)
            .map_err(|e| anyhow::anyhow!("--storage: {e}"))?;
        Ok(Some(crate::blobs::StorageSettings {
            location,
            s3: self.s3.settings(),
        }))
    }

    pub fn secrets(&self) -> SecretConfig {
        SecretConfig {
            secret: self.secret.clone(),
            secret_file: self.secret_file.clone(),
        }
    }
}

/// Where the secret key for token digests comes from when it is given (see `crate::secret`).
#[derive(Clone, Default)]
pub struct SecretConfig {
    /// `RELINKS_SECRET`: the key itself.
    pub secret: Option<String>,
    /// `--secret-file`: a file holding the key.
    pub secret_file: Option<std::path::PathBuf>,
}

impl fmt::Debug for SecretConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretConfig")
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("secret_file", &self.secret_file)
            .finish()
    }
}

impl SecretConfig {
    /// `RELINKS_SECRET` and `RELINKS_SECRET_FILE` from the environment.
    pub fn from_env() -> Self {
        Self {
            secret: std::env::var("RELINKS_SECRET")
                .ok()
                .filter(|s| !s.is_empty()),
            secret_file: std::env::var_os("RELINKS_SECRET_FILE")
                .filter(|s| !s.is_empty())
                .map(std::path::PathBuf::from),
        }
    }
}

impl fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServeConfig")
            .field("listen", &self.listen)
            .field("database", &self.database)
            .field("external_url", &self.external_url)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_header_bytes", &self.max_header_bytes)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("header_read_timeout_secs", &self.header_read_timeout_secs)
            .field("max_connections", &self.max_connections)
            .field("shutdown_grace_secs", &self.shutdown_grace_secs)
            .field("metrics_allow", &self.metrics_allow)
            .field("max_name_length", &self.max_name_length)
            .field("max_links_per_release", &self.max_links_per_release)
            .field("storage", &self.storage)
            .field("s3", &self.s3)
            .field("max_generic_file_bytes", &self.max_generic_file_bytes)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field(
                "transfer_idle_timeout_secs",
                &self.transfer_idle_timeout_secs,
            )
            .field("allow_local_network", &self.allow_local_network)
            .field("verify_max_bytes", &self.verify_max_bytes)
            .field("verify_timeout_secs", &self.verify_timeout_secs)
            .field("webhook_timeout_secs", &self.webhook_timeout_secs)
            .field("webhook_attempts", &self.webhook_attempts)
            .field("rate_limits", &self.rate_limits)
            .field("rate_limit_per_user", &self.rate_limit_per_user)
            .field("rate_limit_per_ip", &self.rate_limit_per_ip)
            .field("auth_failures_before_ban", &self.auth_failures_before_ban)
            .field("auth_ban_secs", &self.auth_ban_secs)
            .field("log_format", &self.log_format)
            .field(
                "root_token",
                &self.root_token.as_ref().map(|_| "[redacted]"),
            )
            .field("secret_file", &self.secret_file)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}
