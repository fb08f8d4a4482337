//! Requests relinks sends to other servers for its users: downloading a link's file to learn
//! its digest. Every address is checked by `domain::network` unless the administrator allows
//! the local network: the names a URL gives are resolved by a resolver that keeps public
//! addresses only (so a name cannot point the server at itself), an address written in the URL
//! is checked before the request, and every redirect is checked again the same way.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::domain::network::{blocked, Blocked};

/// What the administrator allows downloads to do.
#[derive(Debug, Clone, Copy)]
pub struct OutboundSettings {
    /// Requests to loopback, private and other non-public addresses (GitLab's "allow requests
    /// to the local network").
    pub allow_local_network: bool,
    /// The largest file downloaded to be verified.
    pub max_bytes: u64,
    /// The longest a download may take, redirects included.
    pub timeout: Duration,
    /// The most redirects followed.
    pub max_redirects: usize,
}

impl Default for OutboundSettings {
    fn default() -> Self {
        Self {
            allow_local_network: false,
            max_bytes: 1024 * 1024 * 1024,
            timeout: Duration::from_secs(120),
            max_redirects: 5,
        }
    }
}

/// Why a download gave no digest.
#[derive(Debug)]
pub enum FetchError {
    Blocked(Blocked),
    TooManyRedirects(usize),
    TooLarge(u64),
    Status(u16),
    TimedOut(Duration),
    /// The URL could not be used, or the server not reached.
    Failed(&'static str),
}

impl FetchError {
    /// The message a client is answered with (422).
    pub fn message(&self) -> String {
        match self {
            Self::Blocked(why) => format!("Url is blocked: {why}"),
            Self::TooManyRedirects(n) => {
                format!("Download failed: more than {n} redirects")
            }
            Self::TooLarge(max) => format!("Download failed: the file is larger than {max} bytes"),
            Self::Status(status) => format!("Download failed: the server answered {status}"),
            Self::TimedOut(after) => format!(
                "Download failed: not finished within {} seconds",
                after.as_secs()
            ),
            Self::Failed(why) => format!("Download failed: {why}"),
        }
    }
}

#[derive(Debug)]
struct TooManyRedirects(usize);

impl std::fmt::Display for TooManyRedirects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "more than {} redirects", self.0)
    }
}

impl std::error::Error for TooManyRedirects {}

/// Resolves names to the public addresses they have (all of them, when the local network is
/// allowed); a name with none is refused with why.
struct PublicResolver {
    allow_local_network: bool,
}

impl reqwest::dns::Resolve for PublicResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow_local_network;
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if allow {
                return Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs);
            }
            let refusal = found.iter().find_map(|addr| blocked(addr.ip()));
            let public: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| blocked(addr.ip()).is_none())
                .collect();
            match (public.is_empty(), refusal) {
                (true, Some(why)) => Err(Box::new(why) as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs),
            }
        })
    }
}

/// Why `url` may not be requested before any name is resolved: its scheme, or an address
/// written in it.
fn refused(url: &reqwest::Url, allow_local_network: bool) -> Option<Blocked> {
    if !matches!(url.scheme(), "http" | "https") {
        return Some(Blocked::Scheme);
    }
    if allow_local_network {
        return None;
    }
    // The URL parser writes every form of an address (`2130706433`, `0x7f.1`) as its dotted
    // or bracketed form.
    let host = url.host_str()?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.parse::<IpAddr>().ok().and_then(blocked)
}

/// The downloads of one relinks: its settings, and one client built when first needed (its
/// TLS roots cost memory an instance that never verifies should not pay).
#[derive(Debug)]
pub struct Outbound {
    pub settings: OutboundSettings,
    client: OnceLock<Result<reqwest::Client, String>>,
    /// Webhook deliveries: no redirect followed; one client checking certificates, one not
    /// (a hook's `enable_ssl_verification`).
    hook_clients: [OnceLock<Result<reqwest::Client, String>>; 2],
}

impl Outbound {
    pub fn new(settings: OutboundSettings) -> Self {
        Self {
            settings,
            client: OnceLock::new(),
            hook_clients: [OnceLock::new(), OnceLock::new()],
        }
    }

    /// The client webhooks are delivered with: public addresses only (unless the local network
    /// is allowed), checked when each name is resolved, so at every delivery; redirects are
    /// not followed.
    pub fn hook_client(&self, verify_certificates: bool) -> Result<&reqwest::Client, String> {
        let allow_local_network = self.settings.allow_local_network;
        let built = self.hook_clients[usize::from(verify_certificates)].get_or_init(|| {
            reqwest::Client::builder()
                .dns_resolver(Arc::new(PublicResolver {
                    allow_local_network,
                }))
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .connect_timeout(Duration::from_secs(10))
                .danger_accept_invalid_certs(!verify_certificates)
                .build()
                .map_err(|error| error.to_string())
        });
        built.as_ref().map_err(Clone::clone)
    }

    /// Why a request may not go to `url` before any name is resolved (its scheme, an address
    /// written in it); names are checked by the clients' resolver as they connect.
    pub fn refuse_before_resolving(&self, url: &reqwest::Url) -> Option<String> {
        refused(url, self.settings.allow_local_network).map(|why| why.to_string())
    }

    /// Why a hook may not be sent to `url` (checked when a hook is saved): its scheme, an
    /// address written in it, or the addresses its name resolves to, unless the local
    /// network is allowed. A name that does not resolve is refused too, as GitLab does.
    pub async fn refuse_hook_url(&self, url: &reqwest::Url) -> Option<String> {
        let allow = self.settings.allow_local_network;
        if let Some(why) = refused(url, allow) {
            return Some(why.to_string());
        }
        if allow {
            return None;
        }
        let host = url
            .host_str()?
            .trim_start_matches('[')
            .trim_end_matches(']');
        if host.parse::<IpAddr>().is_ok() {
            return None;
        }
        if host.eq_ignore_ascii_case("localhost")
            || host.to_ascii_lowercase().ends_with(".localhost")
        {
            return Some("Requests to localhost are not allowed".to_owned());
        }
        let port = url.port_or_known_default().unwrap_or(80);
        let lookup = tokio::net::lookup_host((host, port));
        match tokio::time::timeout(Duration::from_secs(5), lookup)
            .await
            .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
        {
            Ok(found) => {
                let found: Vec<SocketAddr> = found.collect();
                if found.is_empty() {
                    return Some("Host cannot be resolved or invalid".to_owned());
                }
                found
                    .iter()
                    .find_map(|addr| blocked(addr.ip()))
                    .map(|why| why.to_string())
            }
            Err(_) => Some("Host cannot be resolved or invalid".to_owned()),
        }
    }

    fn client(&self) -> Result<&reqwest::Client, FetchError> {
        let settings = self.settings;
        let built = self.client.get_or_init(|| {
            let redirects = reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > settings.max_redirects {
                    return attempt.error(TooManyRedirects(settings.max_redirects));
                }
                match refused(attempt.url(), settings.allow_local_network) {
                    Some(why) => attempt.error(why),
                    None => attempt.follow(),
                }
            });
            reqwest::Client::builder()
                .dns_resolver(Arc::new(PublicResolver {
                    allow_local_network: settings.allow_local_network,
                }))
                .redirect(redirects)
                // A proxy would resolve names itself, out of the resolver's reach.
                .no_proxy()
                .connect_timeout(Duration::from_secs(10))
                .user_agent(concat!("relinks/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|error| error.to_string())
        });
        built.as_ref().map_err(|error| {
            tracing::error!(%error, "could not build the HTTP client for downloads");
            FetchError::Failed("the server cannot make requests")
        })
    }

    /// Downloads `url` and gives its digest (`sha256:<hex>`) and size.
    pub async fn digest(&self, url: &str) -> Result<(String, i64), FetchError> {
        let url = reqwest::Url::parse(url).map_err(|_| FetchError::Failed("the URL is invalid"))?;
        if let Some(why) = refused(&url, self.settings.allow_local_network) {
            return Err(FetchError::Blocked(why));
        }
        let client = self.client()?;
        let timeout = self.settings.timeout;
        match tokio::time::timeout(timeout, self.download(client, url)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::TimedOut(timeout)),
        }
    }

    async fn download(
        &self,
        client: &reqwest::Client,
        url: reqwest::Url,
    ) -> Result<(String, i64), FetchError> {
        let max = self.settings.max_bytes;
        let mut response = client
            .get(url)
            .send()
            .await
            .map_err(|error| why_failed(&error))?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        if response.content_length().is_some_and(|length| length > max) {
            return Err(FetchError::TooLarge(max));
        }
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        while let Some(chunk) = response.chunk().await.map_err(|error| why_failed(&error))? {
            size += chunk.len() as u64;
            if size > max {
                return Err(FetchError::TooLarge(max));
            }
            hasher.update(&chunk);
        }
        let size = i64::try_from(size).map_err(|_| FetchError::TooLarge(max))?;
        Ok((format!("sha256:{}", hex::encode(hasher.finalize())), size))
    }
}

/// What went wrong in reqwest, in the client's terms: a refusal of ours is found in the
/// error's sources.
fn why_failed(error: &reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if let Some(why) = cause.downcast_ref::<Blocked>() {
            return FetchError::Blocked(*why);
        }
        if let Some(TooManyRedirects(n)) = cause.downcast_ref::<TooManyRedirects>() {
            return FetchError::TooManyRedirects(*n);
        }
        source = cause.source();
    }
    if error.is_timeout() {
        return FetchError::Failed("the server did not answer in time");
    }
    if error.is_connect() {
        return FetchError::Failed("the server could not be reached");
    }
    FetchError::Failed("the download broke off")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_written_in_urls_and_other_schemes_are_refused_first() {
        let url = |text: &str| reqwest::Url::parse(text).expect("a URL");
        assert_eq!(
            refused(&url("http://127.0.0.1/x"), false),
            Some(Blocked::Localhost)
        );
        assert_eq!(
            refused(&url("http://[::1]:8080/x"), false),
            Some(Blocked::Localhost)
        );
        assert_eq!(
            refused(&url("http://169.254.169.254/latest/meta-data"), false),
            Some(Blocked::LinkLocal)
        );
        assert_eq!(
            refused(&url("https://10.0.0.8/x"), false),
            Some(Blocked::LocalNetwork)
        );
        assert_eq!(
            refused(&url("ftp://example.com/x"), false),
            Some(Blocked::Scheme)
        );
        assert_eq!(
            refused(&url("file:///etc/passwd"), true),
            Some(Blocked::Scheme)
        );
        assert_eq!(refused(&url("https://example.com/x"), false), None);
        assert_eq!(refused(&url("http://127.0.0.1/x"), true), None);
        assert_eq!(
            refused(&url("http://2130706433/x"), false),
            Some(Blocked::Localhost)
        );
        assert_eq!(
            refused(&url("http://0x7f.1/x"), false),
            Some(Blocked::Localhost)
        );
    }

    /// Webhook deliveries check addresses as they connect (a name may point elsewhere than
    /// when its hook was saved): a name resolving to loopback is refused unless allowed.
    #[tokio::test]
    async fn the_hook_client_refuses_names_of_local_addresses_unless_allowed() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let port = listener.local_addr().expect("address").port();
        let receiver = axum::Router::new().route("/hook", axum::routing::post(|| async { "ok" }));
        tokio::spawn(async move {
            let _ = axum::serve(listener, receiver).await;
        });
        let url = format!("http://localhost:{port}/hook");
        let refusing = Outbound::new(OutboundSettings::default());
        let client = refusing.hook_client(true).expect("a client");
        let error = client.post(&url).send().await.expect_err("refused");
        let mut text = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            text.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        assert!(text.contains("localhost"), "{text}");
        let literal = reqwest::Url::parse(&format!("http://127.0.0.1:{port}/")).expect("URL");
        assert!(refusing.refuse_before_resolving(&literal).is_some());
        let allowing = Outbound::new(OutboundSettings {
            allow_local_network: true,
            ..OutboundSettings::default()
        });
        let answer = allowing
            .hook_client(true)
            .expect("a client")
            .post(&url)
            .send()
            .await
            .expect("allowed");
        assert_eq!(answer.status(), 200);
        assert!(allowing.refuse_before_resolving(&literal).is_none());
    }
}
