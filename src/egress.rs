//! Outbound safety: the gateway calls URLs that API callers and providers choose (destinations,
//! Chatwoot base URLs, attachment links), so without a check it could be made to reach its own
//! network (server-side request forgery): loopback, private ranges, link-local and the cloud
//! metadata endpoint. Unless `security.allow_private_destinations` is set, such URLs are refused
//! when they are registered (except the addresses `security.private_destination_allowlist`
//! names: [`Egress`]), and every outbound client resolves names through
//! [`GuardedResolver`], which drops those addresses at connect time too (a name that resolved to
//! a public address when it was registered may not point inward later). Address literals are
//! not resolved, so [`GuardLayer`] checks the address every new connection reached and refuses
//! it before a request is written on it: a destination registered while private destinations
//! were allowed is not called once they are not. Redirects are never followed, so a public URL
//! cannot bounce a request inward either.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// What outbound calls may reach: every address when `security.allow_private_destinations` is
/// on; otherwise public addresses, plus the inward ones `security.private_destination_allowlist`
/// names (a helpdesk on the internal network: `10.0.0.5:443` one address and port,
/// `10.0.0.0/24` a whole network on any port). Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Egress {
    open: bool,
    allowed: Arc<[Allowed]>,
}

/// One entry of `security.private_destination_allowlist`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// An address and port: `10.0.0.5:443`, `[fd00::5]:8443`.
    Socket(SocketAddr),
    /// A network on any port: `10.0.0.0/24`, or one address as `10.0.0.5/32`.
    Net(ipnet::IpNet),
}

impl std::str::FromStr for Allowed {
    type Err = String;

    fn from_str(entry: &str) -> Result<Allowed, String> {
        let entry = entry.trim();
        if let Ok(socket) = entry.parse::<SocketAddr>() {
            return Ok(Allowed::Socket(socket));
        }
        if let Ok(net) = entry.parse::<ipnet::IpNet>() {
            return Ok(Allowed::Net(net.trunc()));
        }
        Err(format!(
            "{entry:?} is neither an address with a port (10.0.0.5:443, [fd00::5]:443) nor a \
             network (10.0.0.0/24, 10.0.0.5/32)"
        ))
    }
}

impl Allowed {
    fn admits(&self, addr: SocketAddr) -> bool {
        match self {
            Allowed::Socket(s) => same_ip(s.ip(), addr.ip()) && s.port() == addr.port(),
            Allowed::Net(n) => n.contains(&canonical(addr.ip())),
        }
    }

    /// Whether some port of `ip` is admitted: what a resolver, which knows no port, can tell.
    fn admits_some_port(&self, ip: IpAddr) -> bool {
        match self {
            Allowed::Socket(s) => same_ip(s.ip(), ip),
            Allowed::Net(n) => n.contains(&canonical(ip)),
        }
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    canonical(a) == canonical(b)
}

impl Egress {
    /// Every address may be called (`security.allow_private_destinations = true`).
    pub fn open() -> Egress {
        Egress {
            open: true,
            allowed: Arc::new([]),
        }
    }

    /// Public addresses only, plus `allowed`.
    pub fn guarded(allowed: Vec<Allowed>) -> Egress {
        Egress {
            open: false,
            allowed: allowed.into(),
        }
    }

    /// The rules `[security]` sets; entries of the allowlist were checked when the settings
    /// were loaded.
    pub fn from_settings(security: &crate::config::SecuritySettings) -> Egress {
        if security.allow_private_destinations {
            return Egress::open();
        }
        Egress::guarded(
            security
                .private_destination_allowlist
                .iter()
                .filter_map(|e| e.parse().ok())
                .collect(),
        )
    }

    /// Whether every address may be called.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Whether a connection to `addr` may be made.
    pub fn permits(&self, addr: SocketAddr) -> bool {
        self.open || !forbidden(addr.ip()) || self.allowed.iter().any(|a| a.admits(addr))
    }

    fn permits_some_port(&self, ip: IpAddr) -> bool {
        self.open || !forbidden(ip) || self.allowed.iter().any(|a| a.admits_some_port(ip))
    }
}

/// Whether an address is one the gateway must not call by default.
pub fn forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => forbidden_v4(v4),
            None => forbidden_v6(v6),
        },
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254.0.0/16, with the 169.254.169.254 metadata endpoint
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0 // 0.0.0.0/8
        || (a == 100 && (64..128).contains(&b)) // 100.64.0.0/10, carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // 192.0.0.0/24, IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // 198.18.0.0/15, benchmarking
        || a >= 240 // reserved
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    if let Some(v4) = embedded_v4(ip) {
        return forbidden_v4(v4);
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // fc00::/7, unique local (fd00:ec2::254 is AWS metadata)
        || (first & 0xffc0) == 0xfe80 // fe80::/10, link-local
        || (first & 0xffc0) == 0xfec0 // fec0::/10, site-local (deprecated)
        || ip.segments()[..4] == [0x100, 0, 0, 0] // 100::/64, discard-only
        || ip.to_ipv4().is_some_and(|v4| ip.segments()[..6] == [0; 6] && forbidden_v4(v4))
}

/// The IPv4 address carried inside an IPv6 translation or tunnel form: a NAT64 gateway
/// (64:ff9b::/96, 64:ff9b:1::/48), a 6to4 relay (2002::/16), a Teredo server (2001::/32, the
/// client address inverted) or SIIT (::ffff:0:0:0/96) would deliver the packet to that IPv4
/// address, so it is judged as that address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let [a, b] = [s[6], s[7]].map(|x| x.to_be_bytes());
    let low = Ipv4Addr::new(a[0], a[1], b[0], b[1]);
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || s[..6] == [0, 0, 0, 0, 0xffff, 0] {
        return Some(low);
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1 {
        // RFC 6052 local-use prefix: with a /48, the address sits in bits 48..88 around u.
        let o = ip.octets();
        return Some(Ipv4Addr::new(o[6], o[7], o[9], o[10]));
    }
    if s[0] == 0x2002 {
        let [c, d] = [s[1], s[2]].map(|x| x.to_be_bytes());
        return Some(Ipv4Addr::new(c[0], c[1], d[0], d[1]));
    }
    if s[0] == 0x2001 && s[1] == 0 {
        return Some(Ipv4Addr::from(!u32::from(low)));
    }
    None
}

/// The URL's host as an address literal, when it is one.
fn literal(url: &reqwest::Url) -> Option<IpAddr> {
    // The URL parser has already normalised literals (`2130706433` is `127.0.0.1`).
    let host = url.host_str()?;
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Whether `url` names an address literally (no DNS) that `egress` refuses: for configuration
/// checks.
pub fn literal_refused(url: &str, egress: &Egress) -> bool {
    reqwest::Url::parse(url)
        .ok()
        .is_some_and(|u| !callable(&u, egress))
}

/// The stable code an outbound call that got no answer is recorded with: `timeout`,
/// `connect_failed` (refused, unreachable, or an inward address the guard closed) or
/// `request_failed`.
pub fn unanswered_code(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect_failed"
    } else {
        "request_failed"
    }
}

/// Why a URL may not be called.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// The refusal behind a failed outbound call, when the egress guard refused its connection.
pub fn refusal<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refused> {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(r) = c.downcast_ref::<Refused>() {
            return Some(r);
        }
        cause = c.source();
    }
    None
}

/// How long a registration waits for DNS.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Checks a URL an API caller registers: an address literal is checked as it is; a name is
/// resolved and refused if any of its addresses is forbidden. A name that does not resolve
/// now is accepted (the resolver checks it again on every connection).
pub async fn check_url(url: &str, egress: &Egress) -> Result<(), Refused> {
    if egress.is_open() {
        return Ok(());
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| Refused(format!("{url}: {e}")))?;
    let host = parsed.host_str().unwrap_or_default().to_string();
    let port = parsed.port_or_known_default().unwrap_or(443);
    if let Some(ip) = literal(&parsed) {
        return if !egress.permits(SocketAddr::new(ip, port)) {
            Err(Refused(format!(
                "{host} is a loopback, private, link-local or reserved address"
            )))
        } else {
            Ok(())
        };
    }
    let lookup = tokio::net::lookup_host((host.as_str(), port));
    let Ok(Ok(addrs)) = tokio::time::timeout(LOOKUP_TIMEOUT, lookup).await else {
        return Ok(());
    };
    for addr in addrs {
        if !egress.permits(addr) {
            return Err(Refused(format!(
                "{host} resolves to {}, a loopback, private, link-local or reserved address",
                addr.ip()
            )));
        }
    }
    Ok(())
}

/// Checks a URL at call time without DNS (the resolver covers names): for URLs that arrive in
/// provider payloads, such as attachment links.
pub fn callable(url: &reqwest::Url, egress: &Egress) -> bool {
    let port = url.port_or_known_default().unwrap_or(443);
    !literal(url).is_some_and(|ip| !egress.permits(SocketAddr::new(ip, port)))
}

/// Whether a URL holds a user name or password (`user:password@host`): refused in destination
/// URLs, where it would be a credential stored and shown in clear.
pub fn has_userinfo(url: &reqwest::Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

/// A URL as shown: a password stored before such URLs were refused is masked.
pub fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("****"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// Resolves names with the system resolver and keeps only addresses the gateway may call.
/// An allowlisted address passes here whatever its port; the connection guard then checks the
/// port the call used.
#[derive(Debug, Default)]
pub struct GuardedResolver(Egress);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let egress = self.0.clone();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| egress.permits_some_port(a.ip()))
                .collect();
            if allowed.is_empty() {
                let refused = Refused(format!(
                    "{host} resolves only to private or reserved addresses (refused: \
                     security.allow_private_destinations is off)"
                ));
                return Err(Box::new(refused) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Refuses a new outbound connection whose peer is an address [`forbidden`] names, before
/// anything is written on it: the check that covers address literals, which no resolver sees.
#[derive(Debug, Clone, Default)]
pub struct GuardLayer(Egress);

impl<S> tower_layer::Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Guard<S> {
        Guard(inner, self.0.clone())
    }
}

/// The connector service [`GuardLayer`] wraps.
#[derive(Debug, Clone)]
pub struct Guard<S>(S, Egress);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S, Req> tower_service::Service<Req> for Guard<S>
where
    S: tower_service::Service<Req>,
    S::Response: hyper_util::client::legacy::connect::Connection,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), BoxError>> {
        self.0.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let connecting = self.0.call(req);
        let egress = self.1.clone();
        Box::pin(async move {
            let conn = connecting.await.map_err(Into::into)?;
            match peer(&conn) {
                Some(addr) if !egress.permits(addr) => Err(Box::new(Refused(format!(
                    "{} is a loopback, private, link-local or reserved address (refused: \
                     security.allow_private_destinations is off and \
                     security.private_destination_allowlist does not name {addr})",
                    addr.ip()
                ))) as BoxError),
                _ => Ok(conn),
            }
        })
    }
}

/// The address a connection reached, as its connector recorded it.
fn peer(conn: &impl hyper_util::client::legacy::connect::Connection) -> Option<SocketAddr> {
    let mut extensions = http::Extensions::new();
    conn.connected().get_extras(&mut extensions);
    extensions
        .get::<hyper_util::client::legacy::connect::HttpInfo>()
        .map(|info| info.remote_addr())
}

/// A client builder for every outbound call: no redirects, the gateway's user agent, and the
/// guarded resolver and connection guard unless private destinations are allowed.
/// The gateway's one outbound client, shared by the forwarder, the relay and helpdesk calls:
/// one connection pool with keep-alive, TLS roots parsed once, no redirects, inward addresses
/// refused at connect time. It has no overall timeout: each caller sets its own per request
/// (`delivery.request_timeout`, `relay.request_timeout`).
pub fn client(egress: &Egress) -> anyhow::Result<reqwest::Client> {
    Ok(client_builder(egress)
        .connect_timeout(std::time::Duration::from_secs(5))
        .pool_idle_timeout(std::time::Duration::from_secs(90))
        .build()?)
}

pub fn client_builder(egress: &Egress) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("omnigate/", env!("CARGO_PKG_VERSION")));
    if egress.is_open() {
        builder
    } else {
        builder
            .dns_resolver(Arc::new(GuardedResolver(egress.clone())))
            .connector_layer(GuardLayer(egress.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_password_is_masked_when_shown() {
        assert_eq!(
            shown_url("https://ops:hunter2@helpdesk.example/in"),
            "https://ops:****@helpdesk.example/in"
        );
        assert_eq!(
            shown_url("https://helpdesk.example/in"),
            "https://helpdesk.example/in"
        );
        let parse = |u: &str| reqwest::Url::parse(u).unwrap();
        assert!(has_userinfo(&parse("https://ops@h.example/")));
        assert!(has_userinfo(&parse("https://:pw@h.example/")));
        assert!(!has_userinfo(&parse("https://h.example/a@b")));
    }

    #[test]
    fn inward_addresses_are_forbidden_and_public_ones_are_not() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(forbidden(bad.parse().unwrap()), "{bad}");
        }
        for good in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(!forbidden(good.parse().unwrap()), "{good}");
        }
    }

    #[test]
    fn translated_and_tunnelled_forms_of_inward_addresses_are_forbidden() {
        for bad in [
            "64:ff9b::a9fe:a9fe",                   // NAT64 of 169.254.169.254
            "64:ff9b::10.0.0.1",                    // NAT64 of 10.0.0.1
            "64:ff9b::7f00:1",                      // NAT64 of 127.0.0.1
            "64:ff9b:1:a9fe:a9:fe00::",             // local-use NAT64 /48 of 169.254.169.254
            "2002:7f00:1::",                        // 6to4 of 127.0.0.1
            "2002:a9fe:a9fe::1",                    // 6to4 of 169.254.169.254
            "2002:c0a8:101::",                      // 6to4 of 192.168.1.1
            "2001:0:4136:e378:8000:63bf:80ff:fffe", // Teredo, client 127.0.0.1
            "::ffff:0:a9fe:a9fe",                   // SIIT of 169.254.169.254
            "100::1",                               // discard-only
        ] {
            assert!(forbidden(bad.parse().unwrap()), "{bad}");
        }
        for good in [
            "64:ff9b::5db8:d822", // NAT64 of 93.184.216.34
            "2002:5db8:d822::1",  // 6to4 of 93.184.216.34
        ] {
            assert!(!forbidden(good.parse().unwrap()), "{good}");
        }
    }

    #[tokio::test]
    async fn registered_urls_are_checked_on_literals_and_resolved_names() {
        for bad in [
            "http://127.0.0.1:8080/x",
            "http://[::1]/x",
            "http://169.254.169.254/latest/meta-data",
            "http://localhost:9/x",
            "http://2130706433/x",
            "http://[64:ff9b::10.0.0.1]/",
            "http://[2002:a9fe:a9fe::]/latest/meta-data",
        ] {
            assert!(
                check_url(bad, &Egress::guarded(vec![])).await.is_err(),
                "{bad}"
            );
            assert!(
                check_url(bad, &Egress::open()).await.is_ok(),
                "{bad} when allowed"
            );
        }
        assert!(
            check_url("https://93.184.216.34/in", &Egress::guarded(vec![]))
                .await
                .is_ok()
        );
        let guarded = Egress::guarded(vec!["10.0.0.2/32".parse().unwrap()]);
        assert!(literal_refused("http://10.0.0.1", &guarded));
        assert!(!literal_refused("http://10.0.0.2", &guarded));
        assert!(!literal_refused("https://api.crisp.chat", &guarded));
    }

    #[tokio::test]
    async fn the_guarded_client_writes_nothing_to_an_inward_address_literal() {
        use tokio::io::AsyncReadExt;

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        // What the listener read on each connection before it was closed.
        let read = tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..2 {
                let (mut conn, _) = listener.accept().await.unwrap();
                let _ = conn.read_to_end(&mut got).await;
            }
            got
        });
        let guarded = client(&Egress::guarded(vec![])).unwrap();
        for url in [
            format!("http://127.0.0.1:{port}/in"),
            format!("http://2130706433:{port}/in"),
        ] {
            let err = guarded
                .post(&url)
                .body("secret")
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .unwrap_err();
            let why = refusal(&err).map(ToString::to_string).unwrap_or_default();
            assert!(
                why.contains("127.0.0.1 is a loopback, private, link-local or reserved address"),
                "{err:?}"
            );
        }
        let got = tokio::time::timeout(Duration::from_secs(5), read)
            .await
            .expect("the refused connections are closed")
            .unwrap();
        assert!(got.is_empty(), "nothing was written: {got:?}");
    }

    #[test]
    fn the_allowlist_admits_exactly_the_addresses_it_names() {
        let egress = Egress::guarded(vec![
            "10.0.0.5:443".parse().unwrap(),
            "192.168.7.0/24".parse().unwrap(),
            "[fd00::5]:8443".parse().unwrap(),
        ]);
        let at = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert!(egress.permits(at("10.0.0.5:443")));
        assert!(
            !egress.permits(at("10.0.0.5:80")),
            "another port of an address+port entry"
        );
        assert!(!egress.permits(at("10.0.0.6:443")));
        assert!(
            egress.permits(at("192.168.7.200:9000")),
            "any port inside a network entry"
        );
        assert!(!egress.permits(at("192.168.8.1:9000")));
        assert!(egress.permits(at("[fd00::5]:8443")));
        assert!(
            egress.permits(at("[::ffff:10.0.0.5]:443")),
            "the IPv4-mapped form"
        );
        assert!(!egress.permits(at("169.254.169.254:80")));
        assert!(
            egress.permits(at("93.184.216.34:443")),
            "public addresses as always"
        );
        let link = |s: &str| reqwest::Url::parse(s).unwrap();
        assert!(callable(&link("https://10.0.0.5/a.png"), &egress));
        assert!(
            !callable(&link("http://10.0.0.5/a.png"), &egress),
            "port 80"
        );
        assert!(!callable(&link("http://127.0.0.1:8080/a.png"), &egress));
    }

    #[test]
    fn allowlist_entries_that_are_neither_address_nor_network_are_refused() {
        for bad in ["10.0.0.5", "helpdesk.internal:443", "10.0.0.0/33", ""] {
            let err = bad.parse::<Allowed>().unwrap_err();
            assert!(
                err.contains("neither an address with a port"),
                "{bad}: {err}"
            );
        }
        assert_eq!(
            "10.0.0.77/24".parse::<Allowed>(),
            Ok(Allowed::Net("10.0.0.0/24".parse().unwrap()))
        );
    }

    #[tokio::test]
    async fn a_registered_url_on_an_allowlisted_address_passes_and_its_neighbours_do_not() {
        let egress = Egress::guarded(vec!["127.0.0.1:4000".parse().unwrap()]);
        assert!(check_url("http://127.0.0.1:4000/in", &egress).await.is_ok());
        assert!(check_url("http://127.0.0.1:4001/in", &egress)
            .await
            .is_err());
        assert!(check_url("http://10.0.0.1:4000/in", &egress).await.is_err());
    }

    #[test]
    fn attachment_links_at_inward_literals_are_not_callable_unless_allowed() {
        for link in [
            "http://127.0.0.1:8080/a.png",
            "http://10.20.30.40/private.png",
            "http://169.254.169.254/latest/meta-data/metadata.png",
            "http://[::1]/a.png",
        ] {
            let url = reqwest::Url::parse(link).unwrap();
            assert!(!callable(&url, &Egress::guarded(vec![])), "{link}");
            assert!(callable(&url, &Egress::open()), "{link} when allowed");
        }
        // Names are left to the resolver, which checks them on every connection.
        let named = reqwest::Url::parse("https://cdn.example.com/a.png").unwrap();
        assert!(callable(&named, &Egress::guarded(vec![])));
    }

    #[tokio::test]
    async fn the_guarded_client_never_connects_to_a_name_that_resolves_inward() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = tokio::spawn(async move { listener.accept().await.is_ok() });
        let guarded = client_builder(&Egress::guarded(vec![])).build().unwrap();
        let err = guarded
            .get(format!("http://localhost:{port}/"))
            .send()
            .await
            .unwrap_err();
        assert!(format!("{err:?}").contains("refused"), "{err:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!accepted.is_finished(), "no connection was made");
        // With private destinations allowed, the same call connects.
        let open = client_builder(&Egress::open()).build().unwrap();
        let _ = open
            .get(format!("http://localhost:{port}/"))
            .timeout(Duration::from_millis(300))
            .send()
            .await;
        assert!(accepted.await.unwrap(), "the listener saw the allowed call");
    }
}
