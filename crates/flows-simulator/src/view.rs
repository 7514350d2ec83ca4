//! The current screen with everything a renderer needs to draw it as the WhatsApp client does:
//! values, options, errors, input types, limits, captions and why the Footer cannot be pressed.
//! `flows preview` serialises it for its page; [`ScreenView`](crate::ScreenView) stays the small
//! view that walks and tests assert on.

use flows_json::model::{Body, TextLines};
use flows_json::{Component, Dyn};
use serde::Serialize;
use serde_json::Value;

use crate::engine::Simulator;
use crate::render::{
    ScreenState, Stores, client_errors, enabled_of, flag, int, item_enabled, js, label_of, options,
    render, required_of, text, typed,
};
use crate::transport::Transport;

/// The label the client shows for an OptIn's `on-click-action` link.
pub const READ_MORE: &str = "Read more";

/// The current screen, every shown component with what a renderer needs.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ScreenDetail {
    /// The screen id.
    pub id: String,
    /// The title as shown.
    pub title: String,
    /// The first screen of the stack (the header shows Close, not Back).
    pub first: bool,
    /// A terminal screen.
    pub terminal: bool,
    /// The shown components (If/Switch resolved, hidden ones left out), Footer excluded.
    pub components: Vec<ComponentDetail>,
    /// The Footer, when one is shown.
    pub footer: Option<FooterDetail>,
}

/// One shown component. Properties that do not apply to its type are `None` or empty.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ComponentDetail {
    /// A stable id of the component in its screen: its JSON pointer from the screen.
    pub key: String,
    /// The component type (`TextInput`, `Dropdown`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// The input's `name`.
    pub name: Option<String>,
    /// The evaluated label.
    pub label: Option<String>,
    /// The evaluated text: a string, or an array of paragraphs (RichText).
    pub text: Option<Value>,
    /// TextBody / TextCaption `font-weight` (`bold`, `italic`, `bold_italic`, `normal`).
    pub font_weight: Option<String>,
    /// TextBody / TextCaption `strikethrough`.
    pub strikethrough: bool,
    /// The evaluated description (selections, NavigationList).
    pub description: Option<String>,
    /// The current value in `${form.*}`.
    pub value: Option<Value>,
    /// Whether a value is required.
    pub required: bool,
    /// Whether the control can be used.
    pub enabled: bool,
    /// The error shown under the field: the endpoint's `error-message`, or the client's check of
    /// a value entered (an empty required field counts only against the Footer, as on the phone).
    pub error: Option<String>,
    /// `helper-text`.
    pub helper_text: Option<String>,
    /// TextInput `input-type`.
    pub input_type: Option<String>,
    /// TextInput `max-chars` (the client's default is 80).
    pub max_chars: Option<i64>,
    /// TextArea `max-length` (the client's default is 600).
    pub max_length: Option<i64>,
    /// The options of a selection, as currently bound.
    pub options: Vec<OptionDetail>,
    /// DatePicker / CalendarPicker `min-date`.
    pub min_date: Option<String>,
    /// DatePicker / CalendarPicker `max-date`.
    pub max_date: Option<String>,
    /// CalendarPicker `mode` (`single` or `range`).
    pub mode: Option<String>,
    /// An OptIn with an `on-click-action`: it shows a [`READ_MORE`] link, tapped by the OptIn's label.
    pub has_action: bool,
    /// The text of that link.
    pub read_more_label: Option<String>,
    /// NavigationList items.
    pub items: Vec<ItemDetail>,
    /// Image `src` (base64).
    pub src: Option<String>,
    /// Image `alt-text`.
    pub alt_text: Option<String>,
    /// Image `width`.
    pub width: Option<Value>,
    /// Image `height`.
    pub height: Option<Value>,
    /// ImageCarousel images.
    pub images: Vec<ImageDetail>,
}

/// One option of a selection component.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct OptionDetail {
    /// The option id (the value sent).
    pub id: String,
    /// The title shown.
    pub title: String,
    /// The description shown under it.
    pub description: Option<String>,
    /// Whether it can be chosen.
    pub enabled: bool,
}

/// One NavigationList item.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ItemDetail {
    /// The item id.
    pub id: String,
    /// `main-content.title`, also the label it is tapped by.
    pub title: String,
    /// `main-content.description`.
    pub description: Option<String>,
    /// `main-content.metadata`.
    pub metadata: Option<String>,
}

/// One ImageCarousel image.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ImageDetail {
    /// `src` (base64).
    pub src: String,
    /// `alt-text`.
    pub alt_text: Option<String>,
}

/// The Footer as shown.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct FooterDetail {
    /// The button's label.
    pub label: String,
    /// Whether the phone lets you press it (its `enabled` and the client-side validation).
    pub enabled: bool,
    /// Why it cannot be pressed, one reason per field or rule, joined with "; ".
    pub refusal: Option<String>,
    /// `left-caption`.
    pub left_caption: Option<String>,
    /// `right-caption`.
    pub right_caption: Option<String>,
    /// `center-caption`.
    pub center_caption: Option<String>,
}

impl<T: Transport> Simulator<T> {
    /// The current screen with everything needed to draw it (`None` when no screen is shown).
    ///
    /// ```no_run
    /// # fn demo(phone: &flows_simulator::Simulator<flows_simulator::InProcess>) {
    /// if let Some(screen) = phone.screen_detail() {
    ///     for c in &screen.components {
    ///         println!("{} {:?} = {:?}", c.kind, c.label, c.value);
    ///     }
    /// }
    /// # }
    /// ```
    #[must_use]
    pub fn screen_detail(&self) -> Option<ScreenDetail> {
        if !matches!(self.state(), crate::FlowState::Open) {
            return None;
        }
        let id = self.history().last()?;
        let (flow, values) = self.view_parts(id);
        let screen = flow.screen(id)?;
        let empty = ScreenState::new();
        let state = values.screens.get(id).unwrap_or(&empty);
        let mut keys = Vec::new();
        pointers(&screen.layout.children, "/layout/children", &mut keys);
        let rendered = render(&screen.layout.children, &values);
        let errors = client_errors(&rendered, state, &values);
        let mut components = Vec::new();
        let mut footer = None;
        for r in rendered.iter().filter(|r| r.visible) {
            let c = r.component;
            if matches!(
                c,
                Component::Form(_) | Component::If(_) | Component::Switch(_)
            ) {
                continue;
            }
            if let Component::Footer(f) = c {
                let mut reasons = Vec::new();
                let own = flag(f.enabled.as_ref(), &values, true);
                if !own {
                    reasons.push("the Footer is disabled (`enabled` is false)".to_owned());
                }
                reasons.extend(errors.iter().map(|(_, m)| m.clone()));
                let caption = |d: &Option<Dyn<String>>| d.as_ref().map(|d| text(d, &values));
                footer = Some(FooterDetail {
                    label: text(&f.label, &values),
                    enabled: reasons.is_empty(),
                    refusal: (!reasons.is_empty()).then(|| reasons.join("; ")),
                    left_caption: caption(&f.left_caption),
                    right_caption: caption(&f.right_caption),
                    center_caption: caption(&f.center_caption),
                });
                continue;
            }
            let key = keys
                .iter()
                .find(|(k, _)| std::ptr::eq(*k, c))
                .map(|(_, p)| p.clone())
                .unwrap_or_default();
            let mut d = detail(c, &values);
            d.key = key;
            if let Some(name) = c.name() {
                d.value = state.form.get(name).cloned();
                let entered = d.value.as_ref().is_some_and(|v| !is_blank(v));
                d.error = errors
                    .iter()
                    .find(|(n, _)| n == name)
                    .filter(|_| entered || state.errors.contains_key(name))
                    .map(|(_, m)| {
                        // The message names the field for the Footer's list; under the field the
                        // label is already shown.
                        let prefix = format!("{}: ", d.label.as_deref().unwrap_or(name));
                        m.strip_prefix(&prefix).unwrap_or(m).to_owned()
                    });
            }
            components.push(d);
        }
        Some(ScreenDetail {
            id: id.clone(),
            title: screen
                .title
                .as_ref()
                .map(|t| text(t, &values))
                .unwrap_or_default(),
            first: self.history().len() == 1,
            terminal: screen.terminal == Some(true),
            components,
            footer,
        })
    }
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Every component of a layout with its JSON pointer, so a rendered component (found by address)
/// has the same key whichever If branch is shown around it.
fn pointers<'a>(list: &'a [Component], at: &str, out: &mut Vec<(&'a Component, String)>) {
    for (i, c) in list.iter().enumerate() {
        let here = format!("{at}/{i}");
        match c {
            Component::Form(f) => pointers(&f.children, &format!("{here}/children"), out),
            Component::If(x) => {
                pointers(&x.then, &format!("{here}/then"), out);
                if let Some(other) = &x.else_ {
                    pointers(other, &format!("{here}/else"), out);
                }
            }
            Component::Switch(s) => {
                for (case, items) in &s.cases {
                    let case = case.replace('~', "~0").replace('/', "~1");
                    pointers(items, &format!("{here}/cases/{case}"), out);
                }
            }
            _ => {}
        }
        out.push((c, here));
    }
}

fn opt_text(d: Option<&Dyn<String>>, values: &Stores<'_>) -> Option<String> {
    d.map(|d| text(d, values))
}

/// A text that may be one string or paragraphs.
fn lines(d: &Dyn<TextLines>, values: &Stores<'_>) -> Value {
    match d {
        Dyn::Literal(TextLines::One(s)) => Value::String(s.clone()),
        Dyn::Literal(TextLines::Many(v)) => {
            Value::Array(v.iter().cloned().map(Value::String).collect())
        }
        Dyn::Dynamic(s) => match js(s, values).to_json() {
            Some(Value::Array(items)) => Value::Array(
                items
                    .into_iter()
                    .map(|v| match v {
                        Value::String(s) => Value::String(s),
                        other => Value::String(other.to_string()),
                    })
                    .collect(),
            ),
            _ => Value::String(text(&Dyn::Dynamic(s.clone()), values)),
        },
    }
}

fn body(b: &Body, values: &Stores<'_>) -> Option<Value> {
    Some(lines(&b.text, values))
}

/// The type-specific part of a component's detail.
fn detail(c: &Component, values: &Stores<'_>) -> ComponentDetail {
    let mut d = ComponentDetail {
        kind: c.kind().map_or("Unknown", |k| k.as_str()).to_owned(),
        name: c.name().map(str::to_owned),
        label: label_of(c, values),
        enabled: flag(enabled_of(c), values, true),
        required: required(c, values),
        ..ComponentDetail::default()
    };
    match c {
        Component::TextHeading(h) | Component::TextSubheading(h) => {
            d.text = Some(Value::String(text(&h.text, values)));
        }
        Component::TextBody(b) | Component::TextCaption(b) => {
            d.text = body(b, values);
            d.font_weight = opt_text(b.font_weight.as_ref(), values);
            d.strikethrough = flag(b.strikethrough.as_ref(), values, false);
        }
        Component::RichText(r) => d.text = Some(lines(&r.text, values)),
        Component::TextInput(t) => {
            d.helper_text = opt_text(t.helper_text.as_ref(), values);
            d.input_type =
                Some(opt_text(t.input_type.as_ref(), values).unwrap_or_else(|| "text".to_owned()));
            d.max_chars = Some(int(t.max_chars.as_ref(), values).unwrap_or(80));
        }
        Component::TextArea(t) => {
            d.helper_text = opt_text(t.helper_text.as_ref(), values);
            d.max_length = Some(int(t.max_length.as_ref(), values).unwrap_or(600));
        }
        Component::CheckboxGroup(s)
        | Component::RadioButtonsGroup(s)
        | Component::ChipsSelector(s) => {
            d.description = opt_text(s.description.as_ref(), values);
            d.options = option_details(c, values);
        }
        Component::Dropdown(_) => d.options = option_details(c, values),
        Component::DatePicker(p) => {
            d.helper_text = opt_text(p.helper_text.as_ref(), values);
            d.min_date = opt_text(p.min_date.as_ref(), values);
            d.max_date = opt_text(p.max_date.as_ref(), values);
        }
        Component::CalendarPicker(p) => {
            d.label = Some(match &p.label {
                Value::String(s) => text(&Dyn::Dynamic(s.clone()), values),
                Value::Object(range) => range
                    .get("start-date")
                    .and_then(Value::as_str)
                    .map(|s| text(&Dyn::Dynamic(s.to_owned()), values))
                    .unwrap_or_default(),
                _ => String::new(),
            });
            d.description = opt_text(p.description.as_ref(), values);
            d.mode = Some(opt_text(p.mode.as_ref(), values).unwrap_or_else(|| "single".to_owned()));
            d.min_date = opt_text(p.min_date.as_ref(), values);
            d.max_date = opt_text(p.max_date.as_ref(), values);
        }
        Component::OptIn(o) => {
            d.has_action = o.on_click_action.is_some();
            d.read_more_label = d.has_action.then(|| READ_MORE.to_owned());
        }
        Component::EmbeddedLink(l) => d.text = Some(Value::String(text(&l.text, values))),
        Component::NavigationList(n) => {
            d.label = opt_text(n.label.as_ref(), values);
            d.description = opt_text(n.description.as_ref(), values);
            d.items = typed(&n.list_items, values)
                .unwrap_or_default()
                .into_iter()
                .map(|i| ItemDetail {
                    id: i.id,
                    title: i.main_content.title.unwrap_or_default(),
                    description: i.main_content.description,
                    metadata: i.main_content.metadata,
                })
                .collect();
        }
        Component::Image(i) => {
            d.src = Some(text(&i.src, values));
            d.alt_text = opt_text(i.alt_text.as_ref(), values);
            d.width = i
                .width
                .as_ref()
                .and_then(|w| typed(w, values))
                .map(Value::Number);
            d.height = i
                .height
                .as_ref()
                .and_then(|h| typed(h, values))
                .map(Value::Number);
        }
        Component::ImageCarousel(c) => {
            d.images = typed(&c.images, values)
                .unwrap_or_default()
                .into_iter()
                .map(|i| ImageDetail {
                    src: text(&i.src, values),
                    alt_text: opt_text(i.alt_text.as_ref(), values),
                })
                .collect();
        }
        Component::PhotoPicker(p) => d.description = opt_text(p.description.as_ref(), values),
        Component::DocumentPicker(p) => d.description = opt_text(p.description.as_ref(), values),
        _ => {}
    }
    d
}

fn option_details(c: &Component, values: &Stores<'_>) -> Vec<OptionDetail> {
    options(c, values)
        .into_iter()
        .map(|o| OptionDetail {
            enabled: item_enabled(&o, values),
            id: o.id,
            title: o.title,
            description: o.description,
        })
        .collect()
}

fn required(c: &Component, values: &Stores<'_>) -> bool {
    match c {
        // Range mode makes `required` an object per end; either end required shows as required.
        Component::CalendarPicker(x) => match &x.required {
            Some(Value::Bool(b)) => *b,
            Some(Value::Object(ends)) => ends.values().any(|v| v == &Value::Bool(true)),
            _ => false,
        },
        _ => flag(required_of(c), values, false),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use bytes::Bytes;
    use http::HeaderMap;
    use serde_json::{Map, json};
    use whatsapp_flows_crypto::{PrivateKey, PublicKey};

    use crate::{Open, RawReply, Simulator, Transport, TransportError};

    /// A flow without an endpoint never posts; the simulator still needs a key to hold.
    struct NoEndpoint(PublicKey);

    impl Transport for NoEndpoint {
        fn public_key(&self) -> &PublicKey {
            &self.0
        }
        fn app_secret(&self) -> Option<&[u8]> {
            None
        }
        async fn post(&self, _: HeaderMap, _: Bytes) -> Result<RawReply, TransportError> {
            Err(TransportError::Failed("no endpoint".to_owned()))
        }
    }

    const FLOW: &str = r#"{
      "version": "7.2",
      "screens": [{"id": "FORM", "title": "Sign up", "terminal": true,
        "layout": {"type": "SingleColumnLayout", "children": [
          {"type": "TextInput", "name": "email", "label": "Email", "input-type": "email", "required": true},
          {"type": "TextInput", "name": "nick", "label": "Nickname", "helper-text": "Shown to others"},
          {"type": "If", "condition": "${form.agree}",
            "then": [{"type": "TextBody", "text": "Thanks"}],
            "else": [{"type": "TextCaption", "text": "Please agree"}]},
          {"type": "RadioButtonsGroup", "name": "plan", "label": "Plan", "data-source": [
            {"id": "free", "title": "Free"}, {"id": "pro", "title": "Pro", "enabled": false}]},
          {"type": "TextBody", "text": "never shown", "visible": false},
          {"type": "OptIn", "name": "agree", "label": "I agree", "required": true,
            "on-click-action": {"name": "open_url", "url": "https://example.com/terms"}},
          {"type": "Footer", "label": "Done", "left-caption": "Step 1", "right-caption": "of 1",
            "on-click-action": {"name": "complete", "payload": {}}}
        ]}}]
    }"#;

    async fn phone() -> Simulator<NoEndpoint> {
        let pem = include_str!(
            "../../whatsapp-flows-crypto/tests/fixtures/keys/openssl-genpkey-pkcs8.pem"
        );
        let key = PrivateKey::from_pem(pem, None).unwrap();
        let flow = flows_json::Flow::from_json(FLOW).unwrap();
        Simulator::open(
            flow,
            NoEndpoint(key.public_key().clone()),
            Open::navigate("t", None, Map::new()),
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn the_detail_follows_the_form_as_the_phone_draws_it() {
        let mut phone = phone().await;
        let screen = phone.screen_detail().unwrap();
        assert_eq!(
            (screen.id.as_str(), screen.title.as_str()),
            ("FORM", "Sign up")
        );
        assert!(screen.first && screen.terminal);
        let kinds: Vec<_> = screen.components.iter().map(|c| c.kind.as_str()).collect();
        // The If's else branch, the hidden body left out, the Footer apart.
        assert_eq!(
            kinds,
            [
                "TextInput",
                "TextInput",
                "TextCaption",
                "RadioButtonsGroup",
                "OptIn"
            ]
        );
        let c = &screen.components;
        assert_eq!(c[0].key, "/layout/children/0");
        assert_eq!(c[2].key, "/layout/children/2/else/0");
        assert_eq!(c[0].input_type.as_deref(), Some("email"));
        assert_eq!(c[0].max_chars, Some(80));
        assert!(c[0].required && !c[1].required);
        assert_eq!(c[1].helper_text.as_deref(), Some("Shown to others"));
        // An empty required field counts against the Footer, not under the field.
        assert_eq!(c[0].error, None);
        let enabled: Vec<_> = c[3]
            .options
            .iter()
            .map(|o| (o.id.as_str(), o.enabled))
            .collect();
        assert_eq!(enabled, [("free", true), ("pro", false)]);
        assert!(c[4].has_action);
        assert_eq!(c[4].read_more_label.as_deref(), Some("Read more"));
        let footer = screen.footer.unwrap();
        assert!(!footer.enabled);
        let refusal = footer.refusal.unwrap();
        assert!(refusal.contains("Email: required"), "{refusal}");
        assert!(refusal.contains("I agree: required"), "{refusal}");
        assert_eq!(footer.left_caption.as_deref(), Some("Step 1"));
        assert_eq!(footer.right_caption.as_deref(), Some("of 1"));

        phone.set("email", "not an address").await.unwrap();
        let screen = phone.screen_detail().unwrap();
        assert_eq!(screen.components[0].value, Some(json!("not an address")));
        assert_eq!(
            screen.components[0].error.as_deref(),
            Some("enter a valid email address")
        );

        phone.set("email", "ana@example.com").await.unwrap();
        phone.set("agree", true).await.unwrap();
        let screen = phone.screen_detail().unwrap();
        let thanks = &screen.components[2];
        assert_eq!(thanks.kind, "TextBody");
        assert_eq!(thanks.key, "/layout/children/2/then/0");
        assert_eq!(thanks.text, Some(json!("Thanks")));
        let footer = screen.footer.unwrap();
        assert!(footer.enabled, "{:?}", footer.refusal);
        assert_eq!(footer.refusal, None);

        // The "Read more" link is tapped by the OptIn's label.
        phone.tap("I agree").await.unwrap();
        assert_eq!(phone.opened_urls(), ["https://example.com/terms"]);
        phone.tap("Done").await.unwrap();
        assert!(phone.screen_detail().is_none());
    }
}
