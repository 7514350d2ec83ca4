//! A simulated WhatsApp user, for the tests and the load generator: encrypts each request to the
//! business public key as the WhatsApp client does, POSTs it over a keep-alive HTTP/1.1 connection,
//! decrypts the reply, and walks the booking flow choosing like a person would.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;
use whatsapp_flows_crypto::{PendingResponse, PublicKey};

use crate::flow::{APPOINTMENT, DETAILS, SEATS, SUMMARY};

/// How long one request may take before the simulated user gives up.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a simulated request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// Network trouble.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The server's HTTP answer could not be read.
    #[error("bad HTTP response: {0}")]
    Http(String),
    /// Encrypting the request or decrypting the reply failed.
    #[error("crypto: {0}")]
    Crypto(#[from] whatsapp_flows_crypto::ClientError),
    /// The decrypted reply is not JSON.
    #[error("reply is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// No answer in time.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The flow did not go where it should.
    #[error("unexpected reply: {0}")]
    Unexpected(String),
}

/// One answer: the HTTP status and, when the body is an encrypted reply (200, and 427 by default),
/// the decrypted JSON.
#[derive(Clone, Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The decrypted reply, when there is one.
    pub reply: Option<Value>,
}

impl Answer {
    /// The reply's `screen`.
    #[must_use]
    pub fn screen(&self) -> Option<&str> {
        self.reply.as_ref()?.get("screen")?.as_str()
    }

    /// The reply's `data`, or `null`.
    #[must_use]
    pub fn data(&self) -> &Value {
        self.reply
            .as_ref()
            .and_then(|r| r.get("data"))
            .unwrap_or(&Value::Null)
    }
}

/// A WhatsApp client talking to one endpoint over one keep-alive connection.
#[derive(Debug)]
pub struct Client {
    addr: SocketAddr,
    path: String,
    key: PublicKey,
    conn: Option<BufReader<TcpStream>>,
}

impl Client {
    /// A client for `http://addr/flow`, encrypting to `key`.
    #[must_use]
    pub fn new(addr: SocketAddr, key: PublicKey) -> Self {
        Self {
            addr,
            path: "/flow".to_owned(),
            key,
            conn: None,
        }
    }

    /// Encrypts `request`, POSTs it, decrypts the answer.
    ///
    /// # Errors
    /// [`SimError`] on network, HTTP or crypto trouble (an HTTP error status is an `Ok` answer).
    pub async fn send(&mut self, request: &Value) -> Result<Answer, SimError> {
        let sent = self.key.encrypt_request_json(request)?;
        let (body, pending) = sent.into_parts();
        self.send_encrypted(&body, pending).await
    }

    /// POSTs a request encrypted beforehand ([`PublicKey::encrypt_request_json`]) and decrypts the
    /// answer: what a load generator does, so that its clock measures the endpoint, not the client.
    ///
    /// # Errors
    /// As [`Client::send`].
    pub async fn send_encrypted(
        &mut self,
        body: &str,
        pending: PendingResponse,
    ) -> Result<Answer, SimError> {
        let (status, raw) = tokio::time::timeout(REQUEST_TIMEOUT, self.post(body.as_bytes()))
            .await
            .map_err(|_| SimError::Timeout(REQUEST_TIMEOUT))??;
        let reply = if status == 200 || (status == 427 && !raw.starts_with(b"{")) {
            Some(serde_json::from_str(&pending.decrypt(&raw)?)?)
        } else if status == 427 {
            Some(serde_json::from_slice(&raw)?)
        } else {
            None
        };
        Ok(Answer { status, reply })
    }

    /// POSTs a raw body; retries once on a fresh connection when a kept-alive one was closed
    /// before any answer came.
    async fn post(&mut self, body: &[u8]) -> Result<(u16, Vec<u8>), SimError> {
        let reused = self.conn.is_some();
        match self.post_once(body).await {
            Err(SimError::Io(_)) if reused => {
                self.conn = None;
                self.post_once(body).await
            }
            other => other,
        }
    }

    async fn post_once(&mut self, body: &[u8]) -> Result<(u16, Vec<u8>), SimError> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            slot => {
                let stream = TcpStream::connect(self.addr).await?;
                stream.set_nodelay(true)?;
                slot.insert(BufReader::new(stream))
            }
        };
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.path,
            self.addr,
            body.len()
        );
        let result = exchange(conn, head.as_bytes(), body).await;
        match &result {
            Ok((_, _, keep_alive)) if *keep_alive => {}
            _ => self.conn = None,
        }
        result.map(|(status, body, _)| (status, body))
    }
}

async fn exchange(
    conn: &mut BufReader<TcpStream>,
    head: &[u8],
    body: &[u8],
) -> Result<(u16, Vec<u8>, bool), SimError> {
    let stream = conn.get_mut();
    stream.write_all(head).await?;
    stream.write_all(body).await?;
    let mut line = String::new();
    if conn.read_line(&mut line).await? == 0 {
        return Err(SimError::Io(std::io::ErrorKind::UnexpectedEof.into()));
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| SimError::Http(format!("status line {line:?}")))?;
    let (mut length, mut keep_alive) = (None, true);
    loop {
        line.clear();
        if conn.read_line(&mut line).await? == 0 {
            return Err(SimError::Http("headers cut short".to_owned()));
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close")
            {
                keep_alive = false;
            }
        }
    }
    let length = length.ok_or_else(|| SimError::Http("no Content-Length".to_owned()))?;
    let mut body = vec![0; length];
    conn.read_exact(&mut body).await?;
    Ok((status, body, keep_alive))
}

/// A request as the WhatsApp client sends it.
#[must_use]
pub fn request(action: &str, screen: Option<&str>, data: Value, token: Option<&str>) -> Value {
    let mut request = json!({"version": "3.0", "action": action, "data": data});
    if let Some(screen) = screen {
        set(&mut request, "screen", json!(screen));
    }
    if let Some(token) = token {
        set(&mut request, "flow_token", json!(token));
    }
    request
}

/// Sets `key` in a JSON object (no-op on anything else).
pub fn set(object: &mut Value, key: &str, value: Value) {
    if let Some(map) = object.as_object_mut() {
        map.insert(key.to_owned(), value);
    }
}

/// A small deterministic random source (xorshift64*), so simulated users differ but runs repeat.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// Seeded; any seed works.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        match u64::try_from(n) {
            Ok(n) if n > 0 => usize::try_from(x % n).unwrap_or(0),
            _ => 0,
        }
    }
}

/// One request and its answer, for checks after a walk.
#[derive(Clone, Debug)]
pub struct Step {
    /// The decrypted request.
    pub request: Value,
    /// The answer.
    pub answer: Answer,
}

/// How a walk ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Booked: the booking id.
    Booked(String),
    /// Nothing bookable was found after a few tries.
    NothingFree,
}

/// Ids of a list in a reply's data (`[{id, title, enabled?}]`), skipping disabled options.
#[must_use]
pub fn ids(data: &Value, key: &str) -> Vec<String> {
    data.get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter(|item| item.get("enabled") != Some(&Value::Bool(false)))
                .filter_map(|item| item.get("id")?.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A simulated user with one flow token.
#[derive(Debug)]
pub struct User<'a> {
    client: &'a mut Client,
    token: String,
    rng: Rng,
    /// Every request and answer so far.
    pub steps: Vec<Step>,
}

impl<'a> User<'a> {
    /// A user sending `token`, choosing with `rng`.
    pub fn new(client: &'a mut Client, token: impl Into<String>, rng: Rng) -> Self {
        Self {
            client,
            token: token.into(),
            rng,
            steps: Vec::new(),
        }
    }

    /// Sends one request with this user's token; expects HTTP 200.
    ///
    /// # Errors
    /// [`SimError`], and [`SimError::Unexpected`] for a status other than 200.
    pub async fn send(
        &mut self,
        action: &str,
        screen: Option<&str>,
        data: Value,
    ) -> Result<Answer, SimError> {
        let request = request(action, screen, data, Some(&self.token));
        let answer = self.client.send(&request).await?;
        self.steps.push(Step {
            request,
            answer: answer.clone(),
        });
        if answer.status != 200 {
            return Err(SimError::Unexpected(format!(
                "HTTP {} for {action} {}",
                answer.status,
                screen.unwrap_or("")
            )));
        }
        Ok(answer)
    }

    fn pick(&mut self, options: &[String]) -> Option<String> {
        options.get(self.rng.below(options.len())).cloned()
    }

    /// Walks the whole flow: INIT, department, location, date, time, seat, details, summary, trying
    /// other seats and times when they are taken. `prefer` fixes choices (department, location,
    /// date, time, seat) where given.
    ///
    /// # Errors
    /// [`SimError`] when a request fails or a reply is not what the flow promises.
    pub async fn walk(&mut self, prefer: &Prefer) -> Result<Outcome, SimError> {
        let init = self.send("INIT", None, json!({})).await?;
        expect_screen(&init, APPOINTMENT)?;
        for _attempt in 0..6 {
            let data = init.data().clone();
            let Some(department) = prefer
                .department
                .clone()
                .or_else(|| self.pick(&ids(&data, "department")))
            else {
                return Ok(Outcome::NothingFree);
            };
            let answer = self
                .send(
                    "data_exchange",
                    Some(APPOINTMENT),
                    json!({"trigger": "department_selected", "department": department}),
                )
                .await?;
            let Some(location) = prefer
                .location
                .clone()
                .or_else(|| self.pick(&ids(answer.data(), "location")))
            else {
                continue;
            };
            let answer = self
                .send("data_exchange", Some(APPOINTMENT), json!({"trigger": "location_selected", "department": department, "location": location}))
                .await?;
            let Some(date) = prefer
                .date
                .clone()
                .or_else(|| self.pick(&ids(answer.data(), "date")))
            else {
                continue;
            };
            let answer = self
                .send("data_exchange", Some(APPOINTMENT), json!({"trigger": "date_selected", "department": department, "location": location, "date": date}))
                .await?;
            let Some(time) = prefer
                .time
                .clone()
                .or_else(|| self.pick(&ids(answer.data(), "time")))
            else {
                continue;
            };
            let choice =
                json!({"department": department, "location": location, "date": date, "time": time});
            let mut submit = choice.clone();
            set(&mut submit, "trigger", json!("submit"));
            let mut seats = self
                .send("data_exchange", Some(APPOINTMENT), submit)
                .await?;
            for _seat_try in 0..8 {
                if seats.screen() != Some(SEATS) {
                    break; // fully booked meanwhile: choose again
                }
                let Some(seat) = prefer
                    .seat
                    .clone()
                    .or_else(|| self.pick(&ids(seats.data(), "seats")))
                else {
                    break;
                };
                let mut data = choice.clone();
                set(&mut data, "seat", json!(seat));
                let details = self
                    .send("data_exchange", Some(SEATS), data.clone())
                    .await?;
                if details.screen() == Some(SEATS) {
                    seats = details;
                    continue;
                }
                expect_screen(&details, DETAILS)?;
                set(&mut data, "name", json!("Ana Silva"));
                set(&mut data, "email", json!("ana@example.com"));
                set(&mut data, "phone", json!("+351 912 345 678"));
                set(&mut data, "more_details", json!(""));
                let summary = self
                    .send("data_exchange", Some(DETAILS), data.clone())
                    .await?;
                if summary.screen() == Some(SEATS) {
                    seats = summary;
                    continue;
                }
                expect_screen(&summary, SUMMARY)?;
                let done = self.send("data_exchange", Some(SUMMARY), data).await?;
                if done.screen() == Some("SUCCESS") {
                    let params = done
                        .data()
                        .pointer("/extension_message_response/params")
                        .cloned()
                        .unwrap_or_default();
                    let id = params
                        .get("booking_id")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    if params.get("flow_token") != Some(&json!(self.token)) || id.is_empty() {
                        return Err(SimError::Unexpected(format!("completion params {params}")));
                    }
                    return Ok(Outcome::Booked(id));
                }
                expect_screen(&done, SEATS)?;
                seats = done;
                if prefer.seat.is_some() {
                    return Ok(Outcome::NothingFree);
                }
            }
            if prefer.time.is_some() {
                return Ok(Outcome::NothingFree);
            }
        }
        Ok(Outcome::NothingFree)
    }
}

/// Fixed choices for [`User::walk`]; `None` picks at random among what the server offers.
#[derive(Clone, Debug, Default)]
pub struct Prefer {
    /// Department id.
    pub department: Option<String>,
    /// Location id.
    pub location: Option<String>,
    /// ISO date.
    pub date: Option<String>,
    /// `HH:MM`.
    pub time: Option<String>,
    /// Seat id.
    pub seat: Option<String>,
}

fn expect_screen(answer: &Answer, screen: &str) -> Result<(), SimError> {
    if answer.screen() == Some(screen) {
        Ok(())
    } else {
        Err(SimError::Unexpected(format!(
            "expected {screen}, got {:?} (error_message: {:?})",
            answer.screen(),
            answer.data().get("error_message")
        )))
    }
}
