//! The booking flow: one handler per screen of `flow.json`, the flow-token check, and input validation.
//!
//! | request | reply |
//! |---|---|
//! | INIT | `APPOINTMENT`: `department` list, empty `location`/`date`/`time`, the `is_*_enabled` flags false |
//! | `APPOINTMENT` with `department` / `location` / `date` | `APPOINTMENT` with the next list filled and its flag true (full times `"enabled": false`) |
//! | `APPOINTMENT` with all four and `"trigger": "submit"` | `SEATS`: free `seats`, the `slot` line, the choices |
//! | `SEATS` with `seat` | `DETAILS`, carrying the choices |
//! | `DETAILS` with `name`, `email`, `phone`, `more_details` | `SUMMARY`: `appointment` and `details` texts, everything chosen |
//! | `SUMMARY` | books the seat: `SUCCESS` with `flow_token` and `booking_id`; seat taken meanwhile: `SEATS` with `error_message` |
//! | BACK from `SEATS` | `APPOINTMENT` with availability read again |
//!
//! Invalid input (a department that does not exist, a malformed email, a time not in the list, data
//! of the wrong shape) is answered on the same screen with `error_message`, never with a 500.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flows_router::{Context, Flow, FlowResponse, HandlerResult, Router, Screen, TokenVerdict};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::date::{title_of, unix_now};
use crate::store::{
    BookingOutcome, Catalog, Choice, Item, NewBooking, Store, StoreError, TokenState,
};

/// The first screen: department, location, date and time pickers.
pub const APPOINTMENT: &str = "APPOINTMENT";
/// Seat selection for the chosen slot.
pub const SEATS: &str = "SEATS";
/// Name, email, phone, details.
pub const DETAILS: &str = "DETAILS";
/// Review and book.
pub const SUMMARY: &str = "SUMMARY";

/// The Flow JSON this endpoint serves (also `examples/appointments/flow.json`).
pub const FLOW_JSON: &str = include_str!("../flow.json");

/// How long a user's last slot choice is remembered for BACK from `SEATS`.
const SELECTION_TTL: Duration = Duration::from_secs(3600);
/// At most this many remembered choices (and cached token verdicts).
const SELECTION_CAPACITY: usize = 10_000;
/// How long a valid flow token's verdict is reused before the database is asked again.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(5);

/// The shared state of the handlers. Cheap to clone.
#[derive(Clone, Debug)]
pub struct App {
    inner: Arc<AppInner>,
}

#[derive(Debug)]
struct AppInner {
    store: Store,
    accept_any_token: bool,
    /// The last slot each flow token moved to `SEATS` with: BACK requests carry no data.
    selections: Mutex<HashMap<String, (Choice, Instant)>>,
    /// Tokens found valid recently: `(expires_at, checked at)`.
    valid_tokens: Mutex<HashMap<String, (i64, Instant)>>,
    /// Tokens whose check just failed to reach the database, for their handler to fail fast.
    failed_checks: Mutex<HashMap<String, Instant>>,
}

impl App {
    /// Handlers over this store; `accept_any_token` turns the flow-token check off.
    #[must_use]
    pub fn new(store: Store, accept_any_token: bool) -> Self {
        Self {
            inner: Arc::new(AppInner {
                store,
                accept_any_token,
                selections: Mutex::new(HashMap::new()),
                valid_tokens: Mutex::new(HashMap::new()),
                failed_checks: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The store, unless this request's token check just failed to reach the database: then the
    /// request fails at once (HTTP 500) instead of waiting for a second timeout.
    fn store(&self, token: Option<&str>) -> Result<&Store, StoreError> {
        if let (Some(token), Ok(mut failed)) = (token, self.inner.failed_checks.lock())
            && failed
                .remove(token)
                .is_some_and(|at| at.elapsed() < Duration::from_secs(5))
        {
            return Err(StoreError::Unavailable);
        }
        Ok(&self.inner.store)
    }

    /// Checks a flow token: a valid one is remembered for [`TOKEN_CACHE_TTL`] (never past its
    /// expiry), so a user's next requests cost no token query; everything else is read every time.
    /// A booking forgets the token at once, and the booking statement itself re-checks the token
    /// in the database, so a cached verdict can never book twice.
    async fn check_token(&self, token: Option<&str>) -> TokenVerdict {
        if self.inner.accept_any_token {
            return TokenVerdict::Valid;
        }
        let Some(token) = token else {
            return TokenVerdict::invalid(
                "This booking link is incomplete. Please ask us for a new one.",
            );
        };
        if self.token_cached(token) {
            return TokenVerdict::Valid;
        }
        match self.inner.store.check_token(token).await {
            Ok(TokenState::Valid { expires_at }) => {
                self.cache_token(token, expires_at);
                TokenVerdict::Valid
            }
            Ok(TokenState::Unknown) => TokenVerdict::invalid(
                "This booking link is not valid. Please ask us for a new one.",
            ),
            Ok(TokenState::Expired) => {
                TokenVerdict::invalid("This booking link has expired. Please ask us for a new one.")
            }
            Ok(TokenState::Used) => TokenVerdict::invalid(
                "This booking is already complete. To book again, please ask us for a new link.",
            ),
            Err(error) => {
                // Not the token's fault: the handler fails fast with HTTP 500 (see `App::store`),
                // and WhatsApp lets the user retry.
                tracing::error!(%error, "flow token check could not reach the database");
                if let Ok(mut failed) = self.inner.failed_checks.lock() {
                    if failed.len() >= SELECTION_CAPACITY {
                        failed.clear();
                    }
                    failed.insert(token.to_owned(), Instant::now());
                }
                TokenVerdict::Valid
            }
        }
    }

    fn token_cached(&self, token: &str) -> bool {
        let Ok(cache) = self.inner.valid_tokens.lock() else {
            return false;
        };
        cache
            .get(token)
            .is_some_and(|(until, at)| at.elapsed() < TOKEN_CACHE_TTL && *until > unix_now())
    }

    fn cache_token(&self, token: &str, expires_at: i64) {
        if let Ok(mut cache) = self.inner.valid_tokens.lock() {
            if cache.len() >= SELECTION_CAPACITY {
                cache.retain(|_, (_, at)| at.elapsed() < TOKEN_CACHE_TTL);
                if cache.len() >= SELECTION_CAPACITY {
                    cache.clear();
                }
            }
            cache.insert(token.to_owned(), (expires_at, Instant::now()));
        }
    }

    fn remember(&self, token: Option<&str>, choice: &Choice) {
        let Some(token) = token else { return };
        let Ok(mut map) = self.inner.selections.lock() else {
            return;
        };
        if map.len() >= SELECTION_CAPACITY {
            map.retain(|_, (_, at)| at.elapsed() < SELECTION_TTL);
            if map.len() >= SELECTION_CAPACITY {
                map.clear();
            }
        }
        map.insert(token.to_owned(), (choice.clone(), Instant::now()));
    }

    fn recall(&self, token: Option<&str>) -> Option<Choice> {
        let map = self.inner.selections.lock().ok()?;
        let (choice, at) = map.get(token?)?;
        (at.elapsed() < SELECTION_TTL).then(|| choice.clone())
    }

    fn forget(&self, token: Option<&str>) {
        let Some(token) = token else { return };
        if let Ok(mut map) = self.inner.selections.lock() {
            map.remove(token);
        }
        if let Ok(mut cache) = self.inner.valid_tokens.lock() {
            cache.remove(token);
        }
    }
}

/// The flow: INIT, the four screens and the flow-token check, bound to `app`.
#[must_use]
pub fn flow(app: App) -> Flow {
    Router::new()
        .on_init(|cx: Context<App>| async move {
            let catalog = cx
                .state()
                .store(cx.flow_token())?
                .catalog(&Choice::default(), false)
                .await?;
            Ok(appointment(&catalog, Level::None))
        })
        .flow_token_check(|cx: Context<App>| async move {
            cx.state().check_token(cx.flow_token()).await
        })
        .screen(AppointmentScreen)
        .screen(SeatsScreen)
        .screen(DetailsScreen)
        .screen(SummaryScreen)
        .with_state(app)
}

/// How far the APPOINTMENT choices are valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    None,
    Department,
    Location,
    Date,
}

fn contains(items: &[Item], id: &str) -> bool {
    items.iter().any(|item| item.id == id)
}

fn title<'a>(items: &'a [Item], id: &'a str) -> &'a str {
    items
        .iter()
        .find(|item| item.id == id)
        .map_or(id, |item| item.title.as_str())
}

fn options(items: &[Item]) -> Value {
    Value::Array(
        items
            .iter()
            .map(|item| json!({"id": item.id, "title": item.title}))
            .collect(),
    )
}

fn date_options(items: &[Item]) -> Value {
    Value::Array(
        items
            .iter()
            .map(|item| json!({"id": item.id, "title": title_of(&item.title)}))
            .collect(),
    )
}

fn time_options(items: &[Item]) -> Value {
    Value::Array(
        items
            .iter()
            .map(|item| {
                if item.free > 0 {
                    json!({"id": item.id, "title": item.title})
                } else {
                    json!({"id": item.id, "title": format!("{} (full)", item.title), "enabled": false})
                }
            })
            .collect(),
    )
}

/// How far `choice` is valid in `catalog`, and the message for the first invalid part.
fn validate(catalog: &Catalog, choice: &Choice) -> (Level, Option<&'static str>) {
    if choice.department.is_empty() {
        return (Level::None, None);
    }
    if !contains(&catalog.departments, &choice.department) {
        return (
            Level::None,
            Some("Please choose a department from the list."),
        );
    }
    if choice.location.is_empty() {
        return (Level::Department, None);
    }
    if !contains(&catalog.locations, &choice.location) {
        return (
            Level::Department,
            Some("Please choose a location from the list."),
        );
    }
    if choice.date.is_empty() {
        return (Level::Location, None);
    }
    if !contains(&catalog.dates, &choice.date) {
        return (Level::Location, Some("Please choose a date from the list."));
    }
    (Level::Date, None)
}

/// The APPOINTMENT screen with every list up to `level`.
fn appointment(catalog: &Catalog, level: Level) -> FlowResponse {
    let empty = Value::Array(Vec::new());
    let list = |enabled: bool, value: Value| if enabled { value } else { empty.clone() };
    FlowResponse::next_screen(APPOINTMENT)
        .with("department", options(&catalog.departments))
        .with(
            "location",
            list(level >= Level::Department, options(&catalog.locations)),
        )
        .with(
            "date",
            list(level >= Level::Location, date_options(&catalog.dates)),
        )
        .with(
            "time",
            list(level >= Level::Date, time_options(&catalog.times)),
        )
        .with("is_location_enabled", level >= Level::Department)
        .with("is_date_enabled", level >= Level::Location)
        .with("is_time_enabled", level >= Level::Date)
}

fn slot_line(department: &str, location: &str, choice: &Choice) -> String {
    format!(
        "{department}, {location}, {} at {}",
        title_of(&choice.date),
        choice.time
    )
}

fn with_choice(reply: FlowResponse, choice: &Choice) -> FlowResponse {
    reply
        .with("department", choice.department.as_str())
        .with("location", choice.location.as_str())
        .with("date", choice.date.as_str())
        .with("time", choice.time.as_str())
}

fn seats_screen(seats: &[Item], slot: String, choice: &Choice) -> FlowResponse {
    with_choice(
        FlowResponse::next_screen(SEATS)
            .with("seats", options(seats))
            .with("slot", slot),
        choice,
    )
}

fn seats_from_catalog(catalog: &Catalog, choice: &Choice) -> FlowResponse {
    let slot = slot_line(
        title(&catalog.departments, &choice.department),
        title(&catalog.locations, &choice.location),
        choice,
    );
    seats_screen(&catalog.seats, slot, choice)
}

fn text(value: Option<String>) -> String {
    value.map(|v| v.trim().to_owned()).unwrap_or_default()
}

/// `APPOINTMENT`'s data: what is chosen so far, and `trigger: "submit"` from the footer.
#[derive(Debug, Deserialize)]
#[serde(default)]
#[derive(Default)]
pub struct AppointmentData {
    /// Department id.
    pub department: Option<String>,
    /// Location id.
    pub location: Option<String>,
    /// ISO date.
    pub date: Option<String>,
    /// `HH:MM`.
    pub time: Option<String>,
    /// `submit` from the footer; the dropdowns send `department_selected` and the like.
    pub trigger: Option<String>,
}

/// The `APPOINTMENT` screen's handler.
#[derive(Debug)]
pub struct AppointmentScreen;

impl Screen<App> for AppointmentScreen {
    const NAME: &'static str = APPOINTMENT;
    type Data = AppointmentData;

    async fn handle(&self, cx: Context<App>, data: AppointmentData) -> HandlerResult {
        let submit = data.trigger.as_deref() == Some("submit");
        let choice = Choice {
            department: text(data.department),
            location: text(data.location),
            date: text(data.date),
            time: if submit {
                text(data.time)
            } else {
                String::new()
            },
        };
        let app = cx.state();
        let catalog = app.store(cx.flow_token())?.catalog(&choice, true).await?;
        let (level, mut error) = validate(&catalog, &choice);
        if submit && error.is_none() {
            let chosen = [
                &choice.department,
                &choice.location,
                &choice.date,
                &choice.time,
            ];
            error = if chosen.iter().any(|c| c.is_empty()) {
                Some("Please choose a department, location, date and time.")
            } else {
                match catalog.times.iter().find(|t| t.id == choice.time) {
                    None => Some("Please choose a time from the list."),
                    Some(t) if t.free == 0 || catalog.seats.is_empty() => {
                        Some("That time is fully booked. Please choose another time.")
                    }
                    Some(_) => {
                        app.remember(cx.flow_token(), &choice);
                        return Ok(seats_from_catalog(&catalog, &choice));
                    }
                }
            };
        }
        let reply = appointment(&catalog, level);
        Ok(match error {
            Some(message) => reply.error_message(message),
            None => reply,
        })
    }

    fn invalid_data(&self, _cx: &Context<App>, _error: &serde_json::Error) -> Option<FlowResponse> {
        Some(
            FlowResponse::next_screen(APPOINTMENT)
                .error_message("Please choose again from the lists."),
        )
    }
}

/// `SEATS`' data: the choices carried along, and the chosen `seat`.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct SeatsData {
    /// Department id.
    pub department: Option<String>,
    /// Location id.
    pub location: Option<String>,
    /// ISO date.
    pub date: Option<String>,
    /// `HH:MM`.
    pub time: Option<String>,
    /// The chosen seat's id.
    pub seat: Option<String>,
}

/// The `SEATS` screen's handler (and BACK from it).
#[derive(Debug)]
pub struct SeatsScreen;

impl Screen<App> for SeatsScreen {
    const NAME: &'static str = SEATS;
    type Data = SeatsData;

    async fn handle(&self, cx: Context<App>, data: SeatsData) -> HandlerResult {
        let choice = Choice {
            department: text(data.department),
            location: text(data.location),
            date: text(data.date),
            time: text(data.time),
        };
        let seat = text(data.seat);
        let catalog = cx
            .state()
            .store(cx.flow_token())?
            .catalog(&choice, false)
            .await?;
        // The seat list goes out again only when the user has to choose again.
        let seats = || seats_from_catalog(&catalog, &choice);
        let (level, _) = validate(&catalog, &choice);
        if level < Level::Date || catalog.seats.is_empty() {
            return Ok(seats().error_message(
                "This time is no longer available. Please go back and choose another.",
            ));
        }
        if seat.is_empty() {
            return Ok(seats().error_message("Please choose a seat."));
        }
        if !contains(&catalog.seats, &seat) {
            return Ok(seats().error_message(format!(
                "Seat {seat} is not free any more. Please choose another seat."
            )));
        }
        Ok(with_choice(FlowResponse::next_screen(DETAILS), &choice).with("seat", seat))
    }

    /// BACK from `SEATS` to `APPOINTMENT`: the lists for the user's last choice, availability read
    /// again (times that filled up meanwhile come back disabled).
    async fn back(&self, cx: Context<App>) -> Option<HandlerResult> {
        Some(
            async {
                let app = cx.state();
                let mut choice = app.recall(cx.flow_token()).unwrap_or_default();
                choice.time.clear();
                let catalog = app
                    .store(cx.flow_token())?
                    .fresh_catalog(&choice, true)
                    .await?;
                let (level, _) = validate(&catalog, &choice);
                Ok(appointment(&catalog, level))
            }
            .await,
        )
    }

    fn invalid_data(&self, _cx: &Context<App>, _error: &serde_json::Error) -> Option<FlowResponse> {
        Some(FlowResponse::next_screen(SEATS).error_message("Please choose a seat from the list."))
    }
}

/// `DETAILS`' data: the choices and seat carried along, and the user's details.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct DetailsData {
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
    /// Name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Free text (optional).
    pub more_details: Option<String>,
}

struct Person {
    name: String,
    email: String,
    phone: String,
    more_details: String,
}

impl DetailsData {
    fn split(self) -> (Choice, String, Person) {
        (
            Choice {
                department: text(self.department),
                location: text(self.location),
                date: text(self.date),
                time: text(self.time),
            },
            text(self.seat),
            Person {
                name: text(self.name),
                email: text(self.email),
                phone: text(self.phone),
                more_details: text(self.more_details),
            },
        )
    }
}

/// The message for the first invalid detail, if any.
fn check_person(person: &Person) -> Option<&'static str> {
    let name_chars = person.name.chars().count();
    if name_chars == 0 || name_chars > 100 || person.name.chars().any(char::is_control) {
        return Some("Please enter your name.");
    }
    if !valid_email(&person.email) {
        return Some("Please check your email address (like name@example.com).");
    }
    if !valid_phone(&person.phone) {
        return Some("Please check your phone number (7 to 15 digits, + for the country code).");
    }
    if person.more_details.chars().count() > 1000 {
        return Some("Please keep the details under 1000 characters.");
    }
    None
}

/// A plausible email address: `local@domain.tld`, no spaces, sane lengths.
#[must_use]
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && !local.starts_with('.')
        && !local.ends_with('.')
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && c != '"' && c != ',')
}

/// A plausible phone number: 7 to 15 digits, spaces, dashes, dots, parentheses, a leading `+`.
#[must_use]
pub fn valid_phone(phone: &str) -> bool {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let body = phone.strip_prefix('+').unwrap_or(phone);
    (7..=15).contains(&digits)
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
}

fn details_screen(choice: &Choice, seat: &str) -> FlowResponse {
    with_choice(FlowResponse::next_screen(DETAILS), choice).with("seat", seat)
}

/// The `DETAILS` screen's handler.
#[derive(Debug)]
pub struct DetailsScreen;

impl Screen<App> for DetailsScreen {
    const NAME: &'static str = DETAILS;
    type Data = DetailsData;

    async fn handle(&self, cx: Context<App>, data: DetailsData) -> HandlerResult {
        let (choice, seat, person) = data.split();
        if let Some(message) = check_person(&person) {
            return Ok(details_screen(&choice, &seat).error_message(message));
        }
        // Titles and the choice's validity; whether the seat is still free is the booking's
        // business (SUMMARY sends the user back to SEATS if it was taken meanwhile), so this is
        // usually answered from the cached lists without a query.
        let lists = Choice {
            time: String::new(),
            ..choice.clone()
        };
        let catalog = cx
            .state()
            .store(cx.flow_token())?
            .catalog(&lists, false)
            .await?;
        let (level, _) = validate(&catalog, &choice);
        if level < Level::Date {
            return Ok(seats_from_catalog(&catalog, &choice).error_message(
                "This time is no longer available. Please go back and choose another.",
            ));
        }
        let appointment = format!(
            "{} at {}\n{} at {}, seat {seat}",
            title(&catalog.departments, &choice.department),
            title(&catalog.locations, &choice.location),
            title_of(&choice.date),
            choice.time,
        );
        let mut details = format!(
            "Name: {}\nEmail: {}\nPhone: {}",
            person.name, person.email, person.phone
        );
        if !person.more_details.is_empty() {
            details.push_str("\nDetails: ");
            details.push_str(&person.more_details);
        }
        Ok(with_choice(FlowResponse::next_screen(SUMMARY), &choice)
            .with("appointment", appointment)
            .with("details", details)
            .with("seat", seat)
            .with("name", person.name)
            .with("email", person.email)
            .with("phone", person.phone)
            .with("more_details", person.more_details))
    }

    fn invalid_data(&self, _cx: &Context<App>, _error: &serde_json::Error) -> Option<FlowResponse> {
        Some(FlowResponse::next_screen(DETAILS).error_message("Please check your details."))
    }
}

/// The `SUMMARY` screen's handler: books the seat.
#[derive(Debug)]
pub struct SummaryScreen;

impl Screen<App> for SummaryScreen {
    const NAME: &'static str = SUMMARY;
    type Data = DetailsData;

    async fn handle(&self, cx: Context<App>, data: DetailsData) -> HandlerResult {
        let (choice, seat, person) = data.split();
        if check_person(&person).is_some() {
            return Ok(FlowResponse::next_screen(SUMMARY)
                .error_message("Please go back and check your details."));
        }
        let app = cx.state();
        let outcome = app
            .store(cx.flow_token())?
            .book(&NewBooking {
                choice: &choice,
                seat: &seat,
                flow_token: cx.flow_token(),
                name: &person.name,
                email: &person.email,
                phone: &person.phone,
                more_details: &person.more_details,
                any_token: app.inner.accept_any_token,
            })
            .await?;
        match outcome {
            BookingOutcome::Booked(booking_id) => {
                tracing::info!(%booking_id, "seat booked");
                app.forget(cx.flow_token());
                Ok(FlowResponse::complete(
                    cx.flow_token(),
                    json!({ "booking_id": booking_id }),
                ))
            }
            BookingOutcome::Taken {
                seats,
                department,
                location,
            } => {
                tracing::info!("seat taken meanwhile: back to seat selection");
                let slot = slot_line(
                    department.as_deref().unwrap_or(&choice.department),
                    location.as_deref().unwrap_or(&choice.location),
                    &choice,
                );
                let message = if seats.is_empty() {
                    "Sorry, that time has just been fully booked. Please go back and choose another time."
                        .to_owned()
                } else {
                    format!("Sorry, seat {seat} has just been taken. Please choose another seat.")
                };
                Ok(seats_screen(&seats, slot, &choice).error_message(message))
            }
        }
    }

    fn invalid_data(&self, _cx: &Context<App>, _error: &serde_json::Error) -> Option<FlowResponse> {
        Some(
            FlowResponse::next_screen(SUMMARY)
                .error_message("Please go back and check your details."),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_json_is_a_flow_with_the_contract_screens() {
        let contract = flows_router::contract::FlowContract::from_json(FLOW_JSON).unwrap();
        assert_eq!(
            contract.screens().collect::<Vec<_>>(),
            [APPOINTMENT, DETAILS, SEATS, SUMMARY]
        );
        assert_eq!(contract.entry_screens().collect::<Vec<_>>(), [APPOINTMENT]);
        let flow: Value = serde_json::from_str(FLOW_JSON).unwrap();
        assert_eq!(flow["version"], "7.2");
        assert_eq!(flow["data_api_version"], "3.0");
    }

    #[test]
    fn emails() {
        for good in ["ana@example.com", "a.b+c@mail.example.pt", "x@b.co"] {
            assert!(valid_email(good), "{good}");
        }
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "ana@@example.com",
            "ana @example.com",
            "ana@example..com",
            "ana@exa mple.com",
            ".ana@example.com",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn phones() {
        for good in ["+351 912 345 678", "912345678", "(21) 555-0100"] {
            assert!(valid_phone(good), "{good}");
        }
        for bad in [
            "",
            "123",
            "+351 912 345 678 999 999",
            "call me",
            "12+3456789",
        ] {
            assert!(!valid_phone(bad), "{bad}");
        }
    }
}
