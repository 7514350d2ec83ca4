//! Components: every component of Meta's reference with its properties (flow-client.md §2.2,
//! flow-json-rules.md §10), plus the unknown and the invalid ones, which are kept as written.

use std::collections::BTreeMap;

use serde::de::Deserializer;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Number, Value};

use super::{Action, Dyn, Int};

macro_rules! props {
    (
        $(#[$m:meta])* $name:ident {
            $( $(#[$fm:meta])* $field:ident : $ty:ty ),* $(,)?
        }
        optional {
            $( $(#[$om:meta])* $ofield:ident : $oty:ty ),* $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub struct $name {
            $( $(#[$fm])* pub $field: $ty, )*
            $( $(#[$om])* #[serde(default, skip_serializing_if = "Option::is_none")] pub $ofield: Option<$oty>, )*
            /// Properties Meta does not define here, kept so they can be reported (and written back).
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }
    };
}

props! {
    /// TextHeading / TextSubheading: a heading line.
    Heading {
        /// The text (max 80 characters).
        text: Dyn<String>,
    }
    optional {
        /// Whether it is shown (default true).
        visible: Dyn<bool>,
    }
}

props! {
    /// TextBody / TextCaption: a paragraph.
    Body {
        /// The text (Body max 4096, Caption max 409 characters); with `markdown`, one string per
        /// line is allowed too.
        text: Dyn<TextLines>,
    }
    optional {
        /// `bold`, `italic`, `bold_italic` or `normal`.
        font_weight: Dyn<String>,
        /// Strike the text through.
        strikethrough: Dyn<bool>,
        /// Render the text as Markdown (5.1+).
        markdown: Dyn<bool>,
        /// Whether it is shown (default true).
        visible: Dyn<bool>,
    }
}

/// RichText `text`: one string, or one string per paragraph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TextLines {
    /// One string.
    One(String),
    /// One string per line.
    Many(Vec<String>),
}

props! {
    /// RichText (5.1+): Markdown text.
    RichText {
        /// The Markdown.
        text: Dyn<TextLines>,
    }
    optional {
        /// Whether it is shown (default true).
        visible: Dyn<bool>,
    }
}

props! {
    /// TextInput: a one-line text field.
    TextInput {
        /// The label (max 20 characters).
        label: Dyn<String>,
        /// The form field name (`${form.<name>}`).
        name: String,
    }
    optional {
        /// `large` (7.0+) shows a bold label above the field.
        label_variant: Dyn<String>,
        /// `text`, `number`, `email`, `password`, `passcode` or `phone`.
        input_type: Dyn<String>,
        /// Whether a value is needed.
        required: Dyn<bool>,
        /// Minimum length.
        min_chars: Dyn<Int>,
        /// Maximum length (default 80).
        max_chars: Dyn<Int>,
        /// Help under the field (max 80 characters).
        helper_text: Dyn<String>,
        /// A regular expression the value must match (6.2+).
        pattern: Dyn<String>,
        /// Whether it is editable.
        enabled: Dyn<bool>,
        /// Whether it is shown (default true).
        visible: Dyn<bool>,
        /// The initial value (4.0+, only outside a Form).
        init_value: Value,
        /// An error shown under the field (4.0+, only outside a Form).
        error_message: Value,
    }
}

props! {
    /// TextArea: a multi-line text field.
    TextArea {
        /// The label (max 20 characters).
        label: Dyn<String>,
        /// The form field name.
        name: String,
    }
    optional {
        /// `large` (7.0+).
        label_variant: Dyn<String>,
        /// Whether a value is needed.
        required: Dyn<bool>,
        /// Maximum length (default 600).
        max_length: Dyn<Int>,
        /// Help under the field (max 80 characters).
        helper_text: Dyn<String>,
        /// Whether it is editable.
        enabled: Dyn<bool>,
        /// Whether it is shown.
        visible: Dyn<bool>,
        /// The initial value (4.0+, only outside a Form).
        init_value: Value,
        /// An error shown under the field (4.0+, only outside a Form).
        error_message: Value,
    }
}

props! {
    /// One option of a CheckboxGroup, RadioButtonsGroup, Dropdown or ChipsSelector.
    DataSourceItem {
        /// The value sent when chosen.
        id: String,
        /// What the user sees (max 30 characters).
        title: String,
    }
    optional {
        /// A second line (max 300 characters).
        description: String,
        /// A third line (max 20 characters).
        metadata: String,
        /// Whether it can be chosen.
        enabled: Dyn<bool>,
        /// A base64 image (5.0+).
        image: String,
        /// The image's alternative text (5.0+).
        alt_text: String,
        /// A `#RRGGBB` colour (5.0+).
        color: String,
        /// Fires when chosen (6.0+, `update_data`).
        on_select_action: Action,
        /// Fires when unchosen (6.0+, `update_data`).
        on_unselect_action: Action,
    }
}

props! {
    /// CheckboxGroup, RadioButtonsGroup and ChipsSelector: choose from a list.
    Selection {
        /// The form field name.
        name: String,
        /// The options: a literal list or a `${data.x}` binding to an array of objects.
        data_source: Dyn<Vec<DataSourceItem>>,
    }
    optional {
        /// The label (required from 4.0; ChipsSelector always).
        label: Dyn<String>,
        /// A description (4.0+).
        description: Dyn<String>,
        /// Minimum selected options (CheckboxGroup, ChipsSelector).
        min_selected_items: Dyn<Int>,
        /// Maximum selected options (CheckboxGroup, ChipsSelector).
        max_selected_items: Dyn<Int>,
        /// Whether a choice is needed.
        required: Dyn<bool>,
        /// Whether it is editable.
        enabled: Dyn<bool>,
        /// Whether it is shown.
        visible: Dyn<bool>,
        /// `regular` or `large` (5.0+).
        media_size: Dyn<String>,
        /// Fires on a change (`data_exchange`; `update_data` from 6.0).
        on_select_action: Action,
        /// Fires when an option is unselected (6.0+, `update_data`).
        on_unselect_action: Action,
        /// The initial value (4.0+, only outside a Form).
        init_value: Value,
        /// An error shown under the field (4.0+, only outside a Form).
        error_message: Value,
    }
}

props! {
    /// Dropdown: choose one option from a list.
    Dropdown {
        /// The label (max 20 characters).
        label: Dyn<String>,
        /// The form field name.
        name: String,
        /// The options (1–200; 100 with images).
        data_source: Dyn<Vec<DataSourceItem>>,
    }
    optional {
        /// Whether a choice is needed.
        required: Dyn<bool>,
        /// Whether it is editable.
        enabled: Dyn<bool>,
        /// Whether it is shown.
        visible: Dyn<bool>,
        /// Fires on a change (`data_exchange`; `update_data` from 6.0).
        on_select_action: Action,
        /// Fires when the option is unselected (6.0+, `update_data`).
        on_unselect_action: Action,
        /// The initial value (4.0+, only outside a Form).
        init_value: Value,
        /// An error shown under the field (4.0+, only outside a Form).
        error_message: Value,
    }
}

props! {
    /// DatePicker: one date.
    DatePicker {
        /// The label (max 40 characters).
        label: Dyn<String>,
        /// The form field name.
        name: String,
    }
    optional {
        /// Earliest date: a millisecond timestamp string before 5.0, `YYYY-MM-DD` from 5.0.
        min_date: Dyn<String>,
        /// Latest date, same format.
        max_date: Dyn<String>,
        /// Dates that cannot be chosen, same format.
        unavailable_dates: Dyn<Vec<String>>,
        /// Help under the field (max 80 characters).
        helper_text: Dyn<String>,
        /// Whether a date is needed.
        required: Dyn<bool>,
        /// Whether it is editable.
        enabled: Dyn<bool>,
        /// Whether it is shown.
        visible: Dyn<bool>,
        /// Fires when a date is chosen (`data_exchange`).
        on_select_action: Action,
        /// The initial value (4.0+, only outside a Form).
        init_value: Value,
        /// An error shown under the field (4.0+, only outside a Form).
        error_message: Value,
    }
}

props! {
    /// CalendarPicker (6.1+): one date or a range. In range mode `label`, `helper-text`,
    /// `required`, `init-value` and `error-message` are `{"start-date": …, "end-date": …}` objects,
    /// which is why they are kept as JSON values.
    CalendarPicker {
        /// The form field name.
        name: String,
        /// The label (max 40 characters), or per-end labels in range mode.
        label: Value,
    }
    optional {
        /// `single` (default) or `range`.
        mode: Dyn<String>,
        /// A title (range mode, max 80 characters).
        title: Dyn<String>,
        /// A description (range mode, max 300 characters).
        description: Dyn<String>,
        /// Help text, or per-end help in range mode.
        helper_text: Value,
        /// Whether a value is needed, or per end in range mode.
        required: Value,
        /// Earliest date, `YYYY-MM-DD`.
        min_date: Dyn<String>,
        /// Latest date, `YYYY-MM-DD`.
        max_date: Dyn<String>,
        /// Dates that cannot be chosen.
        unavailable_dates: Dyn<Vec<String>>,
        /// Week days that can be chosen (`Mon` … `Sun`).
        include_days: Dyn<Vec<String>>,
        /// Minimum range length in days (range mode).
        min_days: Dyn<Int>,
        /// Maximum range length in days (range mode).
        max_days: Dyn<Int>,
        /// Whether it is editable.
        enabled: Dyn<bool>,
        /// Whether it is shown.
        visible: Dyn<bool>,
        /// Fires when a date is chosen (`data_exchange`).
        on_select_action: Action,
        /// The initial value (only outside a Form).
        init_value: Value,
        /// An error shown under the field (only outside a Form).
        error_message: Value,
    }
}

props! {
    /// OptIn: a checkbox with a label, optionally with a "Read more" action.
    OptIn {
        /// The label (max 120 characters).
        label: Dyn<String>,
        /// The form field name.
        name: String,
    }
    optional {
        /// Whether it must be ticked.
        required: Dyn<bool>,
        /// Whether it is shown.
        visible: Dyn<bool>,
        /// Whether it is editable.
        enabled: Dyn<bool>,
        /// Initially ticked (4.0+, only outside a Form).
        init_value: Dyn<bool>,
        /// An error shown under the field (4.0+, only outside a Form).
        error_message: Value,
        /// The "Read more" action (`navigate`, `data_exchange`; `open_url` from 6.0).
        on_click_action: Action,
        /// Fires when ticked (6.0+, `update_data`).
        on_select_action: Action,
        /// Fires when unticked (6.0+, `update_data`).
        on_unselect_action: Action,
    }
}

props! {
    /// EmbeddedLink: a link that runs an action.
    EmbeddedLink {
        /// The text (max 25 characters).
        text: Dyn<String>,
        /// What it does (`navigate`, `data_exchange`; `open_url` from 6.0).
        on_click_action: Action,
    }
    optional {
        /// Whether it is shown.
        visible: Dyn<bool>,
    }
}

props! {
    /// Footer: the screen's button.
    Footer {
        /// The button text (max 35 characters).
        label: Dyn<String>,
        /// What it does (`navigate`, `data_exchange`, `complete`).
        on_click_action: Action,
    }
    optional {
        /// Whether it is shown (the client's common schema accepts it on every component).
        visible: Dyn<bool>,
        /// Left caption (with `right-caption`), max 15 characters.
        left_caption: Dyn<String>,
        /// Centre caption (alone), max 15 characters.
        center_caption: Dyn<String>,
        /// Right caption (with `left-caption`), max 15 characters.
        right_caption: Dyn<String>,
        /// Whether it can be pressed.
        enabled: Dyn<bool>,
    }
}

props! {
    /// Image: a base64 JPEG or PNG.
    Image {
        /// The base64 image.
        src: Dyn<String>,
    }
    optional {
        /// Width.
        width: Dyn<Number>,
        /// Height.
        height: Dyn<Number>,
        /// `cover` or `contain` (default).
        scale_type: Dyn<String>,
        /// Width / height (default 1).
        aspect_ratio: Dyn<Number>,
        /// Alternative text.
        alt_text: Dyn<String>,
        /// Whether it is shown.
        visible: Dyn<bool>,
    }
}

props! {
    /// One image of an ImageCarousel.
    CarouselImage {
        /// The base64 image.
        src: Dyn<String>,
    }
    optional {
        /// Alternative text.
        alt_text: Dyn<String>,
    }
}

props! {
    /// ImageCarousel (7.1+): one to three images.
    ImageCarousel {
        /// The images.
        images: Dyn<Vec<CarouselImage>>,
    }
    optional {
        /// `4:3` (default) or `16:9`.
        aspect_ratio: Dyn<String>,
        /// `contain` (default) or `cover`.
        scale_type: Dyn<String>,
        /// Whether it is shown.
        visible: Dyn<bool>,
    }
}

props! {
    /// The text block of a NavigationList item (`main-content`, `end`).
    NavigationContent {
    }
    optional {
        /// Title.
        title: String,
        /// Description.
        description: String,
        /// Metadata.
        metadata: String,
    }
}

props! {
    /// The leading image of a NavigationList item.
    NavigationStart {
        /// A base64 image (max 100 KB).
        image: String,
    }
    optional {
        /// Alternative text.
        alt_text: String,
    }
}

props! {
    /// One NavigationList item.
    NavigationItem {
        /// The value sent when chosen.
        id: String,
        /// Title, description and metadata.
        main_content: NavigationContent,
    }
    optional {
        /// A leading image.
        start: NavigationStart,
        /// Trailing text.
        end: NavigationContent,
        /// A badge (max 15 characters, one item per list).
        badge: String,
        /// Up to 3 tags of up to 15 characters.
        tags: Vec<String>,
        /// What choosing this item does (`navigate`, `data_exchange`).
        on_click_action: Action,
    }
}

props! {
    /// NavigationList (6.2+): a list of items that each lead somewhere.
    NavigationList {
        /// The name.
        name: String,
        /// The items (1–20), literal or a `${data.x}` binding.
        list_items: Dyn<Vec<NavigationItem>>,
    }
    optional {
        /// A label (max 80 characters).
        label: Dyn<String>,
        /// A description (max 300 characters).
        description: Dyn<String>,
        /// `regular` or `large`.
        media_size: Dyn<String>,
        /// One action for every item (otherwise on each item).
        on_click_action: Action,
        /// Whether it is shown.
        visible: Dyn<bool>,
    }
}

props! {
    /// PhotoPicker (4.0+): photos from the camera or gallery.
    PhotoPicker {
        /// The form field name.
        name: String,
        /// The label (max 80 characters).
        label: Dyn<String>,
    }
    optional {
        /// A description (max 300 characters).
        description: Dyn<String>,
        /// `camera_gallery` (default), `camera` or `gallery`.
        photo_source: Dyn<String>,
        /// Maximum file size in KB (1–25600).
        max_file_size_kb: Dyn<Int>,
        /// Minimum photos (0–30).
        min_uploaded_photos: Dyn<Int>,
        /// Maximum photos (1–30, default 30).
        max_uploaded_photos: Dyn<Int>,
        /// Whether it is editable.
        enabled: Dyn<bool>,
        /// Whether it is shown.
        visible: Dyn<bool>,
        /// An error, or one per media id.
        error_message: Value,
    }
}

props! {
    /// DocumentPicker (4.0+): documents from the device.
    DocumentPicker {
        /// The form field name.
        name: String,
        /// The label (max 80 characters).
        label: Dyn<String>,
    }
    optional {
        /// A description (max 300 characters).
        description: Dyn<String>,
        /// Allowed MIME types.
        allowed_mime_types: Dyn<Vec<String>>,
        /// Maximum file size in KB (1–25600).
        max_file_size_kb: Dyn<Int>,
        /// Minimum documents (0–30).
        min_uploaded_documents: Dyn<Int>,
        /// Maximum documents (1–30, default 30).
        max_uploaded_documents: Dyn<Int>,
        /// Whether it is editable.
        enabled: Dyn<bool>,
        /// Whether it is shown.
        visible: Dyn<bool>,
        /// An error, or one per media id.
        error_message: Value,
    }
}

props! {
    /// If (4.0+): components shown when a condition holds.
    If {
        /// The condition (the If mini-language, flow-client.md §5.4).
        condition: String,
        /// Shown when the condition is true (non-empty).
        then: Vec<Component>,
    }
    optional {
        /// Shown otherwise.
        #[serde(rename = "else")]
        else_: Vec<Component>,
    }
}

props! {
    /// Switch (4.0+): the components of the case whose key equals the value.
    Switch {
        /// A binding whose value picks the case.
        value: String,
        /// Case key -> components.
        cases: BTreeMap<String, Vec<Component>>,
    }
    optional {
    }
}

props! {
    /// Form: a group of inputs (required around inputs before 4.0).
    Form {
        /// The form's name.
        name: String,
        /// The components.
        children: Vec<Component>,
    }
    optional {
        /// Field name -> initial value.
        init_values: Dyn<Map<String, Value>>,
        /// Field name -> error message.
        error_messages: Dyn<Map<String, Value>>,
    }
}

/// A component whose `type` Meta does not define, kept as written.
#[derive(Clone, Debug, PartialEq)]
pub struct UnknownComponent {
    /// The `type` as written.
    pub type_name: String,
    /// The whole object, `type` included.
    pub value: Map<String, Value>,
}

/// A component that could not be read as its type (a property of the wrong JSON type, a required
/// property missing, `type` missing or not a string): kept as written, with why.
#[derive(Clone, Debug, PartialEq)]
pub struct InvalidComponent {
    /// The kind its `type` names, if any.
    pub kind: Option<ComponentKind>,
    /// The whole value as written.
    pub value: Value,
    /// The path of the offending property relative to the component, as pointer tokens (empty:
    /// the component itself).
    pub error_path: Vec<String>,
    /// What serde said.
    pub error: String,
    /// Components found under `children`, `then`, `else` or `cases`, with their path relative to
    /// this one, so that a bad property on a container does not hide what is inside it.
    pub salvaged: Vec<(Vec<String>, Component)>,
}

impl InvalidComponent {
    /// The component's `name`, when it is a string.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.value.get("name").and_then(Value::as_str)
    }
}

macro_rules! components {
    ($($kind:ident($ty:ident) $doc:literal),* $(,)?) => {
        /// What kind of component, as its `type` names it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ComponentKind {
            $( #[doc = $doc] $kind, )*
        }

        impl ComponentKind {
            /// Every kind.
            pub const ALL: &'static [Self] = &[$(Self::$kind),*];

            /// The `type` as written in Flow JSON.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$kind => stringify!($kind),)* }
            }

            /// Reads a `type`.
            #[must_use]
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $(stringify!($kind) => Some(Self::$kind),)* _ => None }
            }
        }

        /// A component of a screen's layout.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Component {
            $( #[doc = $doc] $kind($ty), )*
            /// A `type` Meta does not define.
            Unknown(UnknownComponent),
            /// A component that could not be read as its type.
            Invalid(InvalidComponent),
        }

        impl Component {
            /// The kind, also for invalid components whose `type` is known.
            #[must_use]
            pub fn kind(&self) -> Option<ComponentKind> {
                match self {
                    $(Self::$kind(_) => Some(ComponentKind::$kind),)*
                    Self::Unknown(_) => None,
                    Self::Invalid(i) => i.kind,
                }
            }

            /// Properties not defined for this component.
            #[must_use]
            pub fn extra(&self) -> Option<&Map<String, Value>> {
                match self {
                    $(Self::$kind(c) => Some(&c.extra),)*
                    Self::Unknown(_) | Self::Invalid(_) => None,
                }
            }

            fn typed(kind: ComponentKind, value: &Value) -> Result<Self, serde_path_to_error::Error<serde_json::Error>> {
                Ok(match kind {
                    $(ComponentKind::$kind => {
                        let mut c: $ty = serde_path_to_error::deserialize(value)?;
                        c.extra.remove("type");
                        Self::$kind(c)
                    })*
                })
            }
        }

        impl Serialize for Component {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $(Self::$kind(inner) => Typed { kind: stringify!($kind), inner }.serialize(serializer),)*
                    Self::Unknown(u) => u.value.serialize(serializer),
                    Self::Invalid(i) => i.value.serialize(serializer),
                }
            }
        }
    };
}

components! {
    TextHeading(Heading) "TextHeading: a heading.",
    TextSubheading(Heading) "TextSubheading: a subheading.",
    TextBody(Body) "TextBody: a paragraph.",
    TextCaption(Body) "TextCaption: small text.",
    RichText(RichText) "RichText (5.1+): Markdown.",
    TextInput(TextInput) "TextInput: a text field.",
    TextArea(TextArea) "TextArea: a multi-line text field.",
    CheckboxGroup(Selection) "CheckboxGroup: choose several.",
    RadioButtonsGroup(Selection) "RadioButtonsGroup: choose one.",
    ChipsSelector(Selection) "ChipsSelector (6.3+): choose several, as chips.",
    Dropdown(Dropdown) "Dropdown: choose one from a list.",
    DatePicker(DatePicker) "DatePicker: a date.",
    CalendarPicker(CalendarPicker) "CalendarPicker (6.1+): a date or a range.",
    OptIn(OptIn) "OptIn: a checkbox.",
    EmbeddedLink(EmbeddedLink) "EmbeddedLink: a link.",
    Footer(Footer) "Footer: the screen's button.",
    Image(Image) "Image: a picture.",
    ImageCarousel(ImageCarousel) "ImageCarousel (7.1+): pictures.",
    NavigationList(NavigationList) "NavigationList (6.2+): a list of destinations.",
    PhotoPicker(PhotoPicker) "PhotoPicker (4.0+): photos.",
    DocumentPicker(DocumentPicker) "DocumentPicker (4.0+): documents.",
    If(If) "If (4.0+): conditional components.",
    Switch(Switch) "Switch (4.0+): one of several component lists.",
    Form(Form) "Form: a group of inputs.",
}

#[derive(Serialize)]
struct Typed<'a, T> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(flatten)]
    inner: &'a T,
}

impl ComponentKind {
    /// Whether the component holds a form value (`${form.<name>}`).
    #[must_use]
    pub fn is_input(self) -> bool {
        matches!(
            self,
            Self::TextInput
                | Self::TextArea
                | Self::CheckboxGroup
                | Self::RadioButtonsGroup
                | Self::ChipsSelector
                | Self::Dropdown
                | Self::DatePicker
                | Self::CalendarPicker
                | Self::OptIn
                | Self::PhotoPicker
                | Self::DocumentPicker
        )
    }

    /// Whether this is PhotoPicker or DocumentPicker.
    #[must_use]
    pub fn is_media_picker(self) -> bool {
        matches!(self, Self::PhotoPicker | Self::DocumentPicker)
    }

    /// The Flow JSON version that introduced the component (`None`: part of the 2.1 baseline).
    #[must_use]
    pub fn since(self) -> Option<crate::Version> {
        use crate::Version as V;
        Some(match self {
            Self::If | Self::Switch | Self::PhotoPicker | Self::DocumentPicker => V::V4_0,
            Self::RichText => V::V5_1,
            Self::CalendarPicker => V::V6_1,
            Self::NavigationList => V::V6_2,
            Self::ChipsSelector => V::V6_3,
            Self::ImageCarousel => V::V7_1,
            _ => return None,
        })
    }
}

impl Component {
    /// Reads a component from JSON; never fails: what cannot be read becomes
    /// [`Component::Unknown`] or [`Component::Invalid`].
    #[must_use]
    pub fn from_value(value: Value) -> Self {
        let type_name = value.get("type").and_then(Value::as_str).map(str::to_owned);
        let Some(type_name) = type_name else {
            let error = if value.is_object() {
                "missing field `type`"
            } else {
                "a component is an object"
            };
            return Self::invalid(None, value, Vec::new(), error.to_owned());
        };
        let Some(kind) = ComponentKind::from_name(&type_name) else {
            return match value {
                Value::Object(map) => Self::Unknown(UnknownComponent {
                    type_name,
                    value: map,
                }),
                other => Self::invalid(None, other, Vec::new(), "not an object".to_owned()),
            };
        };
        match Self::typed(kind, &value) {
            Ok(component) => component,
            Err(e) => {
                let path = e
                    .path()
                    .iter()
                    .filter_map(|segment| match segment {
                        serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                        serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                        serde_path_to_error::Segment::Enum { .. }
                        | serde_path_to_error::Segment::Unknown => None,
                    })
                    .collect();
                Self::invalid(Some(kind), value, path, e.into_inner().to_string())
            }
        }
    }

    fn invalid(
        kind: Option<ComponentKind>,
        value: Value,
        error_path: Vec<String>,
        error: String,
    ) -> Self {
        let mut salvaged = Vec::new();
        if let Value::Object(map) = &value {
            for key in ["children", "then", "else"] {
                if let Some(Value::Array(items)) = map.get(key) {
                    for (i, item) in items.iter().enumerate() {
                        salvaged.push((
                            vec![key.to_owned(), i.to_string()],
                            Self::from_value(item.clone()),
                        ));
                    }
                }
            }
            if let Some(Value::Object(cases)) = map.get("cases") {
                for (case, items) in cases {
                    if let Value::Array(items) = items {
                        for (i, item) in items.iter().enumerate() {
                            salvaged.push((
                                vec!["cases".to_owned(), case.clone(), i.to_string()],
                                Self::from_value(item.clone()),
                            ));
                        }
                    }
                }
            }
        }
        Self::Invalid(InvalidComponent {
            kind,
            value,
            error_path,
            error,
            salvaged,
        })
    }

    /// The form field name, for components that have one (inputs, Form, NavigationList), also
    /// when the component is invalid.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        Some(match self {
            Self::TextInput(c) => &c.name,
            Self::TextArea(c) => &c.name,
            Self::CheckboxGroup(c) | Self::RadioButtonsGroup(c) | Self::ChipsSelector(c) => &c.name,
            Self::Dropdown(c) => &c.name,
            Self::DatePicker(c) => &c.name,
            Self::CalendarPicker(c) => &c.name,
            Self::OptIn(c) => &c.name,
            Self::PhotoPicker(c) => &c.name,
            Self::DocumentPicker(c) => &c.name,
            Self::NavigationList(c) => &c.name,
            Self::Form(c) => &c.name,
            Self::Invalid(i) => return i.name(),
            _ => return None,
        })
    }

    /// The nested component lists, each with its path relative to this component (Form
    /// `children`, If `then`/`else`, Switch `cases/<key>`).
    #[must_use]
    pub fn child_lists(&self) -> Vec<(Vec<&str>, &[Component])> {
        match self {
            Self::Form(f) => vec![(vec!["children"], f.children.as_slice())],
            Self::If(c) => {
                let mut lists = vec![(vec!["then"], c.then.as_slice())];
                if let Some(e) = &c.else_ {
                    lists.push((vec!["else"], e.as_slice()));
                }
                lists
            }
            Self::Switch(s) => s
                .cases
                .iter()
                .map(|(key, list)| (vec!["cases", key.as_str()], list.as_slice()))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The actions of this component (not of its children), with their path relative to it.
    #[must_use]
    pub fn actions(&self) -> Vec<(Vec<String>, &Action)> {
        fn push<'a>(
            found: &mut Vec<(Vec<String>, &'a Action)>,
            path: &[&str],
            action: Option<&'a Action>,
        ) {
            if let Some(action) = action {
                found.push((path.iter().map(|s| (*s).to_owned()).collect(), action));
            }
        }
        let mut found: Vec<(Vec<String>, &Action)> = Vec::new();
        let f = &mut found;
        const CLICK: &str = "on-click-action";
        const SELECT: &str = "on-select-action";
        const UNSELECT: &str = "on-unselect-action";
        match self {
            Self::Footer(c) => push(f, &[CLICK], Some(&c.on_click_action)),
            Self::EmbeddedLink(c) => push(f, &[CLICK], Some(&c.on_click_action)),
            Self::OptIn(c) => {
                push(f, &[CLICK], c.on_click_action.as_ref());
                push(f, &[SELECT], c.on_select_action.as_ref());
                push(f, &[UNSELECT], c.on_unselect_action.as_ref());
            }
            Self::CheckboxGroup(c) | Self::RadioButtonsGroup(c) | Self::ChipsSelector(c) => {
                push(f, &[SELECT], c.on_select_action.as_ref());
                push(f, &[UNSELECT], c.on_unselect_action.as_ref());
                items_actions(&c.data_source, f);
            }
            Self::Dropdown(c) => {
                push(f, &[SELECT], c.on_select_action.as_ref());
                push(f, &[UNSELECT], c.on_unselect_action.as_ref());
                items_actions(&c.data_source, f);
            }
            Self::DatePicker(c) => push(f, &[SELECT], c.on_select_action.as_ref()),
            Self::CalendarPicker(c) => push(f, &[SELECT], c.on_select_action.as_ref()),
            Self::NavigationList(c) => {
                push(f, &[CLICK], c.on_click_action.as_ref());
                if let Dyn::Literal(items) = &c.list_items {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(action) = &item.on_click_action {
                            f.push((
                                vec!["list-items".to_owned(), i.to_string(), CLICK.to_owned()],
                                action,
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
        found
    }
}

fn items_actions<'a>(
    source: &'a Dyn<Vec<DataSourceItem>>,
    found: &mut Vec<(Vec<String>, &'a Action)>,
) {
    if let Dyn::Literal(items) = source {
        for (i, item) in items.iter().enumerate() {
            for (key, action) in [
                ("on-select-action", &item.on_select_action),
                ("on-unselect-action", &item.on_unselect_action),
            ] {
                if let Some(action) = action {
                    found.push((
                        vec!["data-source".to_owned(), i.to_string(), key.to_owned()],
                        action,
                    ));
                }
            }
        }
    }
}

impl<'de> Deserialize<'de> for Component {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Self::from_value)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use serde_json::json;

    use super::*;

    #[test]
    fn components_round_trip_and_keep_unknown_properties() {
        for v in [
            json!({"type": "TextHeading", "text": "Hi", "colour": "red"}),
            json!({"type": "Form", "name": "f", "children": [{"type": "TextInput", "name": "a", "label": "A"}]}),
            json!({"type": "If", "condition": "${form.a}", "then": [{"type": "TextBody", "text": "x"}], "else": []}),
            json!({"type": "Switch", "value": "${data.a}", "cases": {"x": []}}),
            json!({"type": "Hologram", "text": 1}),
        ] {
            let c = Component::from_value(v.clone());
            assert!(!matches!(c, Component::Invalid(_)), "{c:?}");
            assert_eq!(serde_json::to_value(&c).unwrap(), v);
        }
        let c =
            Component::from_value(json!({"type": "TextHeading", "text": "Hi", "colour": "red"}));
        assert_eq!(
            c.extra().unwrap().keys().collect::<Vec<_>>(),
            vec!["colour"]
        );
    }

    #[test]
    fn a_bad_property_makes_an_invalid_component_that_says_where() {
        let v = json!({"type": "Dropdown", "label": "L", "name": "d",
            "data-source": [{"id": "a", "title": "A"}, {"id": "b", "title": "B", "enabled": "yes"}]});
        let Component::Invalid(i) = Component::from_value(v.clone()) else {
            panic!()
        };
        assert_eq!(i.error_path, vec!["data-source", "1", "enabled"]);
        assert_eq!(i.kind, Some(ComponentKind::Dropdown));
        assert_eq!(serde_json::to_value(Component::Invalid(i)).unwrap(), v);

        let v = json!({"type": "Form", "name": "f", "init-values": 3, "children": [{"type": "TextInput", "name": "a", "label": "A"}]});
        let Component::Invalid(i) = Component::from_value(v) else {
            panic!()
        };
        assert_eq!(i.error_path, vec!["init-values"]);
        assert_eq!(i.salvaged.len(), 1);
        assert_eq!(i.salvaged[0].1.name(), Some("a"));
    }
}
