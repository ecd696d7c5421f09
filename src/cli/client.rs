//! A thin admin API client that turns answers into exit codes and readable errors.

use serde_json::Value;

use super::Target;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Ok = 0,
    Refused = 1,
    Usage = 2,
    Unavailable = 3,
}

pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    pub fn new(target: &Target) -> Result<Client, ExitCode> {
        let Some(token) = target.token.clone().filter(|t| !t.is_empty()) else {
            eprintln!("omnigate: no token: set OMNIGATE_TOKEN or pass --token");
            return Err(ExitCode::Usage);
        };
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .user_agent(concat!("omnigate-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                eprintln!("omnigate: {e}");
                ExitCode::Unavailable
            })?;
        Ok(Client {
            http,
            base: target.url.trim_end_matches('/').to_string(),
            token,
        })
    }

    /// Sends a request; on failure prints the problem's code and detail and returns the exit code.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, ExitCode> {
        self.call_with(method, path, body, &[]).await
    }

    /// [`Client::call`] with extra request headers.
    pub async fn call_with(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Result<Value, ExitCode> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.map_err(|e| {
            eprintln!("omnigate: cannot reach {}: {e}", self.base);
            ExitCode::Unavailable
        })?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(value);
        }
        let code = value["code"].as_str().unwrap_or("error");
        let detail = value["detail"].as_str().unwrap_or(text.as_str());
        eprintln!("omnigate: {} {code}: {detail}", status.as_u16());
        Err(if status.is_server_error() {
            ExitCode::Unavailable
        } else {
            ExitCode::Refused
        })
    }

    pub async fn get(&self, path: &str) -> Result<Value, ExitCode> {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// Every item of a paged listing (`{items, next}`), [`LIST_PAGE`] at a time, following
    /// `next` to the last page; answered as one `{items}`.
    pub async fn get_all(&self, path: &str) -> Result<Value, ExitCode> {
        self.get_all_with(path, "").await
    }

    /// [`Client::get_all`] with more of the query (`&key=value...`, values encoded).
    pub async fn get_all_with(&self, path: &str, query: &str) -> Result<Value, ExitCode> {
        let mut items = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut url = format!("{path}?limit={LIST_PAGE}{query}");
            if let Some(a) = &after {
                url.push_str(&format!("&after={}", q(a)));
            }
            let page = self.get(&url).await?;
            items.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next"].as_str() {
                Some(next) if Some(next) != after.as_deref() => after = Some(next.to_string()),
                _ => break,
            }
        }
        Ok(serde_json::json!({ "items": items }))
    }

    /// Opens a long-lived GET (a server-sent event stream): no overall timeout, only one to
    /// connect; `last_event_id` resumes after that event. A refusal is printed like
    /// [`Client::call`]'s.
    pub async fn open_stream(
        &self,
        path: &str,
        last_event_id: Option<&str>,
    ) -> Result<reqwest::Response, ExitCode> {
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .user_agent(concat!("omnigate-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                eprintln!("omnigate: {e}");
                ExitCode::Unavailable
            })?;
        let mut req = http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        let resp = req.send().await.map_err(|e| {
            eprintln!("omnigate: cannot reach {}: {e}", self.base);
            ExitCode::Unavailable
        })?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status();
        let value: Value = resp.json().await.unwrap_or(Value::Null);
        let code = value["code"].as_str().unwrap_or("error");
        let detail = value["detail"].as_str().unwrap_or_default();
        eprintln!("omnigate: {} {code}: {detail}", status.as_u16());
        Err(if status.is_server_error() {
            ExitCode::Unavailable
        } else {
            ExitCode::Refused
        })
    }

    pub async fn post(&self, path: &str, body: Value) -> Result<Value, ExitCode> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Result<Value, ExitCode> {
        self.call(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Result<Value, ExitCode> {
        self.call(reqwest::Method::DELETE, path, None).await
    }
}

/// Items asked for per page when a command lists everything.
pub const LIST_PAGE: usize = 100;

/// Percent-encodes a query value.
pub fn q(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
