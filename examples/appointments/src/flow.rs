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
//!
//! The flow token is checked on every request ([`Store::check_token`]): in the database the first
//! time, then, on PostgreSQL, from a verdict kept for a few seconds that every instance drops the
//! moment PostgreSQL tells it the token was used (LISTEN/NOTIFY; see `store::tokens` for why and
//! what it costs). A token used for a booking gets HTTP 427 on the next request, on this instance
//! or any other on the same database; the booking statement checks the token again itself.

use std::sync::Arc;
use std::time::Duration;

use flows_router::{Context, Flow, FlowResponse, HandlerResult, Router, Screen, TokenVerdict};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::date::Date;
use crate::store::{
    BookingOutcome, Catalog, Choice, Item, NewBooking, SeatId, Store, StoreError, TokenState,
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
/// How long a token whose check could not reach the database makes its handler fail fast.
const FAILED_CHECK_TTL: Duration = Duration::from_secs(5);
/// At most this many remembered choices (and failed checks).
const CAPACITY: u64 = 10_000;

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
    selections: moka::sync::Cache<String, Picked>,
    /// Tokens whose check just failed to reach the database, for their handler to fail fast.
    failed_checks: moka::sync::Cache<String, ()>,
}

impl App {
    /// Handlers over this store; `accept_any_token` turns the flow-token check off.
    #[must_use]
    pub fn new(store: Store, accept_any_token: bool) -> Self {
        Self {
            inner: Arc::new(AppInner {
                store,
                accept_any_token,
                selections: moka::sync::Cache::builder()
                    .max_capacity(CAPACITY)
                    .time_to_live(SELECTION_TTL)
                    .build(),
                failed_checks: moka::sync::Cache::builder()
                    .max_capacity(CAPACITY)
                    .time_to_live(FAILED_CHECK_TTL)
                    .build(),
            }),
        }
    }

    /// The store, unless this request's token check just failed to reach the database: then the
    /// request fails at once (HTTP 500) instead of waiting for a second timeout.
    fn store(&self, token: Option<&str>) -> Result<&Store, StoreError> {
        if token.is_some_and(|token| self.inner.failed_checks.remove(token).is_some()) {
            return Err(StoreError::Unavailable);
        }
        Ok(&self.inner.store)
    }

    /// Checks a flow token (see the module docs). The booking statement checks it again, in the
    /// same statement that uses it up.
    async fn check_token(&self, token: Option<&str>) -> TokenVerdict {
        if self.inner.accept_any_token {
            return TokenVerdict::Valid;
        }
        let Some(token) = token else {
            return TokenVerdict::invalid(
                "This booking link is incomplete. Please ask us for a new one.",
            );
        };
        match self.inner.store.check_token(token).await {
            Ok(TokenState::Valid { .. }) => TokenVerdict::Valid,
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
                self.inner.failed_checks.insert(token.to_owned(), ());
                TokenVerdict::Valid
            }
        }
    }

    fn remember(&self, token: Option<&str>, picked: &Picked) {
        if let Some(token) = token {
            self.inner
                .selections
                .insert(token.to_owned(), picked.clone());
        }
    }

    fn recall(&self, token: Option<&str>) -> Option<Picked> {
        self.inner.selections.get(token?)
    }

    fn forget(&self, token: Option<&str>) {
        if let Some(token) = token {
            self.inner.selections.invalidate(token);
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

/// The slot as the phone sent it (trimmed; `None`: not chosen). Validated against the lists as
/// text, so that a date that is no date at all is answered like one that is not in the list.
#[derive(Clone, Debug, Default)]
struct Picked {
    department: Option<String>,
    location: Option<String>,
    date: Option<String>,
    time: Option<String>,
}

impl Picked {
    fn new(
        department: Option<String>,
        location: Option<String>,
        date: Option<String>,
        time: Option<String>,
    ) -> Self {
        Self {
            department: chosen(department),
            location: chosen(location),
            date: chosen(date),
            time: chosen(time),
        }
    }

    /// The store's typed choice (a date that does not parse is not chosen: it is in no list).
    fn choice(&self) -> Choice {
        Choice {
            department: self.department.as_deref().map(Into::into),
            location: self.location.as_deref().map(Into::into),
            date: self.date.as_deref().and_then(Date::parse),
            time: self.time.clone(),
        }
    }

    /// The same with no time chosen.
    fn without_time(&self) -> Self {
        Self {
            time: None,
            ..self.clone()
        }
    }

    /// `Tue 3 Jun 2025`, or the text as sent.
    fn date_title(&self) -> String {
        let text = self.date.as_deref().unwrap_or_default();
        Date::parse(text).map_or_else(|| text.to_owned(), Date::title)
    }
}

/// A trimmed field; empty is "not chosen".
fn chosen(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// How far `picked` is valid in `catalog`, and the message for the first invalid part.
fn validate(catalog: &Catalog, picked: &Picked) -> (Level, Option<&'static str>) {
    let Some(department) = &picked.department else {
        return (Level::None, None);
    };
    if !contains(&catalog.departments, department) {
        return (
            Level::None,
            Some("Please choose a department from the list."),
        );
    }
    let Some(location) = &picked.location else {
        return (Level::Department, None);
    };
    if !contains(&catalog.locations, location) {
        return (
            Level::Department,
            Some("Please choose a location from the list."),
        );
    }
    let Some(date) = &picked.date else {
        return (Level::Location, None);
    };
    if !contains(&catalog.dates, date) {
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
            list(level >= Level::Location, options(&catalog.dates)),
        )
        .with(
            "time",
            list(level >= Level::Date, time_options(&catalog.times)),
        )
        .with("is_location_enabled", level >= Level::Department)
        .with("is_date_enabled", level >= Level::Location)
        .with("is_time_enabled", level >= Level::Date)
}

fn slot_line(department: &str, location: &str, picked: &Picked) -> String {
    format!(
        "{department}, {location}, {} at {}",
        picked.date_title(),
        picked.time.as_deref().unwrap_or_default()
    )
}

fn with_choice(reply: FlowResponse, picked: &Picked) -> FlowResponse {
    let text = |field: &Option<String>| field.clone().unwrap_or_default();
    reply
        .with("department", text(&picked.department))
        .with("location", text(&picked.location))
        .with("date", text(&picked.date))
        .with("time", text(&picked.time))
}

fn seats_screen(seats: &[Item], slot: String, choice: &Picked) -> FlowResponse {
    with_choice(
        FlowResponse::next_screen(SEATS)
            .with("seats", options(seats))
            .with("slot", slot),
        choice,
    )
}

fn seats_from_catalog(catalog: &Catalog, picked: &Picked) -> FlowResponse {
    let slot = slot_line(
        title(
            &catalog.departments,
            picked.department.as_deref().unwrap_or_default(),
        ),
        title(
            &catalog.locations,
            picked.location.as_deref().unwrap_or_default(),
        ),
        picked,
    );
    seats_screen(&catalog.seats, slot, picked)
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
        let picked = Picked::new(
            data.department,
            data.location,
            data.date,
            data.time.filter(|_| submit),
        );
        let app = cx.state();
        let catalog = app
            .store(cx.flow_token())?
            .catalog(&picked.choice(), true)
            .await?;
        let (level, mut error) = validate(&catalog, &picked);
        if submit && error.is_none() {
            let all_chosen =
                picked.department.is_some() && picked.location.is_some() && picked.date.is_some();
            error = match picked.time.as_deref().filter(|_| all_chosen) {
                None => Some("Please choose a department, location, date and time."),
                Some(time) => match catalog.times.iter().find(|t| t.id == time) {
                    None => Some("Please choose a time from the list."),
                    Some(t) if t.free == 0 || catalog.seats.is_empty() => {
                        Some("That time is fully booked. Please choose another time.")
                    }
                    Some(_) => {
                        app.remember(cx.flow_token(), &picked);
                        return Ok(seats_from_catalog(&catalog, &picked));
                    }
                },
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
        let picked = Picked::new(data.department, data.location, data.date, data.time);
        let catalog = cx
            .state()
            .store(cx.flow_token())?
            .catalog(&picked.choice(), false)
            .await?;
        // The seat list goes out again only when the user has to choose again.
        let seats = || seats_from_catalog(&catalog, &picked);
        let (level, _) = validate(&catalog, &picked);
        if level < Level::Date || catalog.seats.is_empty() {
            return Ok(seats().error_message(
                "This time is no longer available. Please go back and choose another.",
            ));
        }
        let Some(seat) = chosen(data.seat) else {
            return Ok(seats().error_message("Please choose a seat."));
        };
        if !contains(&catalog.seats, &seat) {
            return Ok(seats().error_message(format!(
                "Seat {seat} is not free any more. Please choose another seat."
            )));
        }
        Ok(with_choice(FlowResponse::next_screen(DETAILS), &picked).with("seat", seat))
    }

    /// BACK from `SEATS` to `APPOINTMENT`: the lists for the user's last choice, availability read
    /// again (times that filled up meanwhile come back disabled).
    async fn back(&self, cx: Context<App>) -> Option<HandlerResult> {
        Some(
            async {
                let app = cx.state();
                let picked = app
                    .recall(cx.flow_token())
                    .unwrap_or_default()
                    .without_time();
                let catalog = app
                    .store(cx.flow_token())?
                    .fresh_catalog(&picked.choice(), true)
                    .await?;
                let (level, _) = validate(&catalog, &picked);
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
    fn split(self) -> (Picked, String, Person) {
        let text = |value: Option<String>| chosen(value).unwrap_or_default();
        (
            Picked::new(self.department, self.location, self.date, self.time),
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

fn details_screen(picked: &Picked, seat: &str) -> FlowResponse {
    with_choice(FlowResponse::next_screen(DETAILS), picked).with("seat", seat)
}

/// The `DETAILS` screen's handler.
#[derive(Debug)]
pub struct DetailsScreen;

impl Screen<App> for DetailsScreen {
    const NAME: &'static str = DETAILS;
    type Data = DetailsData;

    async fn handle(&self, cx: Context<App>, data: DetailsData) -> HandlerResult {
        let (picked, seat, person) = data.split();
        if let Some(message) = check_person(&person) {
            return Ok(details_screen(&picked, &seat).error_message(message));
        }
        // Titles and the choice's validity; whether the seat is still free is the booking's
        // business (SUMMARY sends the user back to SEATS if it was taken meanwhile), so this is
        // usually answered from the cached lists without a query.
        let catalog = cx
            .state()
            .store(cx.flow_token())?
            .catalog(&picked.without_time().choice(), false)
            .await?;
        let (level, _) = validate(&catalog, &picked);
        if level < Level::Date {
            return Ok(seats_from_catalog(&catalog, &picked).error_message(
                "This time is no longer available. Please go back and choose another.",
            ));
        }
        let appointment = format!(
            "{} at {}\n{} at {}, seat {seat}",
            title(
                &catalog.departments,
                picked.department.as_deref().unwrap_or_default()
            ),
            title(
                &catalog.locations,
                picked.location.as_deref().unwrap_or_default()
            ),
            picked.date_title(),
            picked.time.as_deref().unwrap_or_default(),
        );
        let mut details = format!(
            "Name: {}\nEmail: {}\nPhone: {}",
            person.name, person.email, person.phone
        );
        if !person.more_details.is_empty() {
            details.push_str("\nDetails: ");
            details.push_str(&person.more_details);
        }
        Ok(with_choice(FlowResponse::next_screen(SUMMARY), &picked)
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
        let (picked, seat, person) = data.split();
        if check_person(&person).is_some() {
            return Ok(FlowResponse::next_screen(SUMMARY)
                .error_message("Please go back and check your details."));
        }
        let app = cx.state();
        let outcome = app
            .store(cx.flow_token())?
            .book(&NewBooking {
                choice: &picked.choice(),
                seat: &SeatId::from(seat.as_str()),
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
                    department
                        .as_deref()
                        .or(picked.department.as_deref())
                        .unwrap_or_default(),
                    location
                        .as_deref()
                        .or(picked.location.as_deref())
                        .unwrap_or_default(),
                    &picked,
                );
                let message = if seats.is_empty() {
                    "Sorry, that time has just been fully booked. Please go back and choose another time."
                        .to_owned()
                } else {
                    format!("Sorry, seat {seat} has just been taken. Please choose another seat.")
                };
                Ok(seats_screen(&seats, slot, &picked).error_message(message))
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
