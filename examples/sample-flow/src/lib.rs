//! Meta's "book an appointment" sample endpoint on [`flows_router`], with the same static data.
//!
//! It serves the Flow in [`FLOW_JSON`] (Meta's template, also at `examples/sample-flow/flow.json`):
//!
//! | request | reply |
//! |---|---|
//! | `INIT` | `APPOINTMENT` with every option list, the location, date and time pickers disabled |
//! | `data_exchange` from `APPOINTMENT` with a `trigger` (a picker changed) | `APPOINTMENT` again, each picker enabled once the ones before it are chosen |
//! | `data_exchange` from `APPOINTMENT` without a `trigger` (submitted) | `DETAILS` with the four choices, or `APPOINTMENT` with an `error_message` if one is missing |
//! | `data_exchange` from `DETAILS` | `SUMMARY` with the appointment and details texts and every field echoed |
//! | `data_exchange` from `SUMMARY` | `SUCCESS`, completing the flow with the flow token |
//! | `BACK` from `DETAILS` | `APPOINTMENT` with every picker enabled |
//!
//! `TERMS` is a static screen: the client shows it without asking the endpoint.
//!
//! [`flow()`] also installs a demonstration flow-token check: a token containing `"expired"`
//! ([`EXPIRED_MARKER`]) is answered with HTTP 427, so tests can exercise that path. [`router()`] is the
//! same flow without it, to add your own check.
//!
//! ```
//! use flows_router::{Action, FlowRequest};
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let flow = sample_flow::flow();
//! let mut init = FlowRequest::new(Action::Init);
//! init.flow_token = Some("token-1".into());
//! let reply = flow.answer(init).await.map_err(|(status, why)| format!("{status}: {why}"))?;
//! assert_eq!(reply.screen(), Some("APPOINTMENT"));
//! assert_eq!(reply.data()["is_location_enabled"], false);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use flows_router::{Context, Flow, FlowResponse, HandlerResult, Router, Screen, TokenVerdict};
use serde::Deserialize;
use serde_json::{Value, json};

/// Meta's Flow JSON for this endpoint (screens `APPOINTMENT`, `DETAILS`, `SUMMARY`, `TERMS`), with one
/// addition: the `time` items declare the `enabled` property that Meta's own example data (two
/// unavailable slots) uses, so a strict schema check accepts Meta's replies.
pub const FLOW_JSON: &str = include_str!("../flow.json");

/// A flow token containing this text is rejected by [`flow()`]'s demonstration check (HTTP 427).
pub const EXPIRED_MARKER: &str = "expired";

/// The `error_msg` of that 427.
pub const EXPIRED_MESSAGE: &str = "This booking link has expired. Please ask us for a new one.";

const DEPARTMENTS: [(&str, &str); 5] = [
    ("shopping", "Shopping & Groceries"),
    ("clothing", "Clothing & Apparel"),
    ("home", "Home Goods & Decor"),
    ("electronics", "Electronics & Appliances"),
    ("beauty", "Beauty & Personal Care"),
];

const LOCATIONS: [(&str, &str); 4] = [
    ("1", "King\u{2019}s Cross, London"),
    ("2", "Oxford Street, London"),
    ("3", "Covent Garden, London"),
    ("4", "Piccadilly Circus, London"),
];

const DATES: [(&str, &str); 3] = [
    ("2024-01-01", "Mon Jan 01 2024"),
    ("2024-01-02", "Tue Jan 02 2024"),
    ("2024-01-03", "Wed Jan 03 2024"),
];

/// Time slots; `false` marks a slot shown but not selectable, as in Meta's sample.
const TIMES: [(&str, bool); 5] = [
    ("10:30", true),
    ("11:00", false),
    ("11:30", true),
    ("12:00", false),
    ("12:30", true),
];

/// How many options a refreshed `APPOINTMENT` offers per picker (Meta's sample narrows each list
/// to its first three in place of real filtering).
const NARROWED: usize = 3;

/// The sample flow with the demonstration token check (tokens containing [`EXPIRED_MARKER`] get 427).
#[must_use]
pub fn flow() -> Flow {
    router().flow_token_check(check_token).with_state(())
}

/// The sample flow's router without a token check.
#[must_use]
pub fn router() -> Router<()> {
    Router::new()
        .on_init(|_cx: Context<()>| async { Ok(appointment(Pickers::INITIAL, usize::MAX)) })
        .screen(Appointment)
        .screen(Details)
        .screen(Summary)
}

async fn check_token(cx: Context<()>) -> TokenVerdict {
    if cx
        .flow_token()
        .is_some_and(|token| token.contains(EXPIRED_MARKER))
    {
        TokenVerdict::invalid(EXPIRED_MESSAGE)
    } else {
        TokenVerdict::Valid
    }
}

/// Which pickers of `APPOINTMENT` are enabled.
#[derive(Clone, Copy)]
struct Pickers {
    location: bool,
    date: bool,
    time: bool,
}

impl Pickers {
    const INITIAL: Self = Self {
        location: false,
        date: false,
        time: false,
    };
    const ALL: Self = Self {
        location: true,
        date: true,
        time: true,
    };
}

fn appointment(pickers: Pickers, limit: usize) -> FlowResponse {
    let pairs = |list: &[(&str, &str)]| -> Value {
        list.iter()
            .take(limit)
            .map(|(id, title)| json!({ "id": id, "title": title }))
            .collect()
    };
    let times: Value = TIMES
        .iter()
        .take(limit)
        .map(|(slot, open)| match open {
            true => json!({ "id": slot, "title": slot }),
            false => json!({ "id": slot, "title": slot, "enabled": false }),
        })
        .collect();
    FlowResponse::next_screen("APPOINTMENT")
        .with("department", pairs(&DEPARTMENTS))
        .with("location", pairs(&LOCATIONS))
        .with("is_location_enabled", pickers.location)
        .with("date", pairs(&DATES))
        .with("is_date_enabled", pickers.date)
        .with("time", times)
        .with("is_time_enabled", pickers.time)
}

fn title(list: &[(&'static str, &'static str)], id: &str) -> Option<&'static str> {
    list.iter()
        .find(|(key, _)| *key == id)
        .map(|(_, title)| *title)
}

/// A picker's value: absent and empty both mean "not chosen yet".
fn chosen(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

/// `APPOINTMENT`: refreshes itself when a picker changes, goes to `DETAILS` when submitted.
struct Appointment;

/// What `APPOINTMENT` sends: the `trigger` of a picker's on-select action, and the choices so far.
#[derive(Deserialize)]
struct AppointmentData {
    trigger: Option<String>,
    department: Option<String>,
    location: Option<String>,
    date: Option<String>,
    time: Option<String>,
}

impl Screen<()> for Appointment {
    const NAME: &'static str = "APPOINTMENT";
    type Data = AppointmentData;

    async fn handle(&self, _cx: Context<()>, data: AppointmentData) -> HandlerResult {
        let department = chosen(data.department.as_deref());
        let location = chosen(data.location.as_deref());
        let date = chosen(data.date.as_deref());
        let pickers = Pickers {
            location: department.is_some(),
            date: department.is_some() && location.is_some(),
            time: department.is_some() && location.is_some() && date.is_some(),
        };
        if data.trigger.is_some() {
            return Ok(appointment(pickers, NARROWED));
        }
        let complete = department.and_then(|d| title(&DEPARTMENTS, d)).is_some()
            && location.and_then(|l| title(&LOCATIONS, l)).is_some()
            && date.and_then(|d| title(&DATES, d)).is_some();
        match (complete, chosen(data.time.as_deref())) {
            (true, Some(time)) => Ok(FlowResponse::next_screen("DETAILS")
                .with("department", department.unwrap_or_default())
                .with("location", location.unwrap_or_default())
                .with("date", date.unwrap_or_default())
                .with("time", time)),
            _ => Ok(appointment(pickers, NARROWED)
                .error_message("Please choose a department, a location, a date and a time.")),
        }
    }
}

/// `DETAILS`: turns the choices and the contact details into `SUMMARY`'s texts.
struct Details;

/// What `DETAILS` sends: the appointment choices carried over and the form fields.
#[derive(Deserialize)]
struct DetailsData {
    department: String,
    location: String,
    date: String,
    time: String,
    name: String,
    email: String,
    phone: String,
    #[serde(default)]
    more_details: Option<String>,
}

impl Screen<()> for Details {
    const NAME: &'static str = "DETAILS";
    type Data = DetailsData;

    async fn handle(&self, _cx: Context<()>, data: DetailsData) -> HandlerResult {
        let (Some(department), Some(location), Some(date)) = (
            title(&DEPARTMENTS, &data.department),
            title(&LOCATIONS, &data.location),
            title(&DATES, &data.date),
        ) else {
            return Ok(FlowResponse::next_screen("DETAILS")
                .with("department", data.department)
                .with("location", data.location)
                .with("date", data.date)
                .with("time", data.time)
                .error_message(
                    "That appointment is no longer available. Please go back and choose again.",
                ));
        };
        let more_details = data.more_details.unwrap_or_default();
        let appointment = format!("{department} at {location}\n{date} at {}", data.time);
        let mut details = format!(
            "Name: {}\nEmail: {}\nPhone: {}",
            data.name, data.email, data.phone
        );
        if !more_details.is_empty() {
            details.push_str(&format!("\n\"{more_details}\""));
        }
        Ok(FlowResponse::next_screen("SUMMARY")
            .with("appointment", appointment)
            .with("details", details)
            .with("department", data.department)
            .with("location", data.location)
            .with("date", data.date)
            .with("time", data.time)
            .with("name", data.name)
            .with("email", data.email)
            .with("phone", data.phone)
            .with("more_details", more_details))
    }

    async fn back(&self, _cx: Context<()>) -> Option<HandlerResult> {
        Some(Ok(appointment(Pickers::ALL, usize::MAX)))
    }
}

/// `SUMMARY`: the user confirmed; a real endpoint would save the booking here.
struct Summary;

impl Screen<()> for Summary {
    const NAME: &'static str = "SUMMARY";
    type Data = serde_json::Map<String, Value>;

    async fn handle(&self, cx: Context<()>, _data: Self::Data) -> HandlerResult {
        Ok(FlowResponse::complete(cx.flow_token(), json!({})))
    }
}

#[cfg(test)]
mod tests {
    use flows_router::{Action, FlowRequest};
    use serde_json::json;

    fn request(action: Action, screen: Option<&str>, data: serde_json::Value) -> FlowRequest {
        let mut request = FlowRequest::new(action);
        request.screen = screen.map(str::to_owned);
        request.flow_token = Some("tok-1".to_owned());
        if let serde_json::Value::Object(map) = data {
            request.data = map;
        }
        request
    }

    #[tokio::test]
    async fn walks_the_whole_flow() {
        let flow = super::flow();
        let init = flow
            .answer(request(Action::Init, None, json!({})))
            .await
            .unwrap();
        assert_eq!(init.data()["department"].as_array().unwrap().len(), 5);
        assert_eq!(init.data()["is_time_enabled"], false);

        let picked = flow
            .answer(request(
                Action::DataExchange,
                Some("APPOINTMENT"),
                json!({"trigger": "location_selected", "department": "beauty", "location": "1"}),
            ))
            .await
            .unwrap();
        assert_eq!(picked.screen(), Some("APPOINTMENT"));
        assert_eq!(picked.data()["is_date_enabled"], true);
        assert_eq!(picked.data()["is_time_enabled"], false);
        assert_eq!(picked.data()["location"].as_array().unwrap().len(), 3);

        let details = flow
            .answer(request(
                Action::DataExchange,
                Some("APPOINTMENT"),
                json!({"department": "beauty", "location": "1", "date": "2024-01-01", "time": "11:30"}),
            ))
            .await
            .unwrap();
        assert_eq!(details.screen(), Some("DETAILS"));

        let summary = flow
            .answer(request(
                Action::DataExchange,
                Some("DETAILS"),
                json!({"department": "beauty", "location": "1", "date": "2024-01-01", "time": "11:30",
                       "name": "John Doe", "email": "john@example.com", "phone": "123456789",
                       "more_details": "A free skin care consultation, please"}),
            ))
            .await
            .unwrap();
        assert_eq!(
            summary.data()["appointment"],
            "Beauty & Personal Care at King\u{2019}s Cross, London\nMon Jan 01 2024 at 11:30"
        );
        assert_eq!(
            summary.data()["details"],
            "Name: John Doe\nEmail: john@example.com\nPhone: 123456789\n\"A free skin care consultation, please\""
        );

        let done = flow
            .answer(request(Action::DataExchange, Some("SUMMARY"), json!({})))
            .await
            .unwrap();
        assert_eq!(
            done.data()["extension_message_response"]["params"]["flow_token"],
            "tok-1"
        );
    }

    #[tokio::test]
    async fn expired_tokens_are_rejected() {
        let mut init = request(Action::Init, None, json!({}));
        init.flow_token = Some("expired-1".to_owned());
        let (status, message) = super::flow().answer(init).await.unwrap_err();
        assert_eq!(status, 427);
        assert_eq!(message, super::EXPIRED_MESSAGE);
    }

    #[test]
    fn flow_json_declares_every_screen_the_endpoint_answers() {
        let flow: serde_json::Value = serde_json::from_str(super::FLOW_JSON).unwrap();
        let ids: Vec<_> = flow["screens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["APPOINTMENT", "DETAILS", "SUMMARY", "TERMS"]);
        assert_eq!(flow["routing_model"]["APPOINTMENT"], json!(["DETAILS"]));
    }
}
