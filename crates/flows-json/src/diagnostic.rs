//! Diagnostics: a stable rule id, a severity, where, and what to change.

use std::fmt;

use crate::span::Position;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Allowed, but almost certainly a bug.
    Warning,
    /// Meta would reject the flow, or the phone would fail on it.
    Error,
}

impl Severity {
    /// `error` or `warning`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! rules {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $sev:ident, $code:expr; )*) => {
        /// What a diagnostic is about. Each rule's documentation cites its source: the rule numbers
        /// and source tags of `flow-json-rules.md` (`\[DOC\]` Meta's documentation, `\[ERR\]` Meta's
        /// error-code table, `\[INF\]` inferred, `\[3P\]` a third party) and the sections of
        /// `flow-client.md` (`[WA …]`: Meta's WhatsApp Flows client code).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Rule {
            $( $(#[$doc])* $variant, )*
        }

        impl Rule {
            /// Every rule.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            /// The stable, kebab-case id (`duplicate-screen-id`).
            #[must_use]
            pub fn id(self) -> &'static str {
                match self { $(Self::$variant => $id,)* }
            }

            /// The rule's severity.
            #[must_use]
            pub fn severity(self) -> Severity {
                match self { $(Self::$variant => Severity::$sev,)* }
            }

            /// The error code Meta documents for this check, if any (`DUPLICATE_SCREEN_IDS`). A few
            /// rules cover several of Meta's codes; then [`Diagnostic::code`] names the one that fits.
            #[must_use]
            pub fn meta_code(self) -> Option<&'static str> {
                match self { $(Self::$variant => $code,)* }
            }

            /// The rule with this id.
            #[must_use]
            pub fn from_id(id: &str) -> Option<Self> {
                match id { $($id => Some(Self::$variant),)* _ => None }
            }
        }
    };
}

rules! {
    // ---------------------------------------------------------------- document structure
    /// An object has the same key twice; JSON parsers keep the last one. \[INF\] RFC 8259 §4 says
    /// names SHOULD be unique; Meta's parser, like serde_json, silently keeps one of them.
    DuplicateKey = "duplicate-key", Warning, None;
    /// A `null` value. \[DOC\] flow-client.md §1.3 ("`null` is not a valid value anywhere"),
    /// flow-json-rules.md rule 39 [3P T3].
    NullValue = "null-value", Error, None;
    /// A required property is missing. [DOC S1] rules 1, 16, 49; [ERR S4] rule 3
    /// (`MISSING_FLOW_JSON_VERSION`), rule 11 (`MISSING_REQUIRED_TYPE_PROPERTY`); the required
    /// properties of each component, §10 [DOC S2].
    MissingProperty = "missing-property", Error, Some("MISSING_REQUIRED_PROPERTY");
    /// A property Meta does not define at this place. [ERR S4] rule 2, `INVALID_PROPERTY_KEY`
    /// ("Extra properties are rejected anywhere").
    UnknownProperty = "unknown-property", Error, Some("INVALID_PROPERTY_KEY");
    /// A property value of the wrong JSON type. [ERR S4] rule 11, `INVALID_PROPERTY_TYPE`; rule 41
    /// (`PATTERN_MISMATCH` for a string that is neither the type nor a dynamic value).
    InvalidType = "invalid-type", Error, Some("INVALID_PROPERTY_TYPE");
    /// A value outside the property's allowed values (layout type, `input-type`, `font-weight`,
    /// `next.type`, …). [ERR S4] rule 10, `INVALID_PROPERTY_VALUE`; the enumerations of §10 [DOC S2].
    InvalidValue = "invalid-value", Error, Some("INVALID_PROPERTY_VALUE");
    /// A component `type` Meta does not define. [ERR S4] rule 10, `INVALID_PROPERTY_VALUE`.
    UnknownComponent = "unknown-component", Error, Some("INVALID_PROPERTY_VALUE");
    /// An empty or blank text property (from Flow JSON 6.0). [DOC S6] rule 15, [ERR S4] rule 41
    /// ("should not be blank or empty string", `PATTERN_MISMATCH`).
    BlankString = "blank-string", Error, Some("PATTERN_MISMATCH");
    /// `version` is not a `{major}.{minor}` string. [ERR S4] rule 3, `INVALID_FLOW_JSON_VERSION`; [DOC S5] rule 4.
    InvalidVersion = "invalid-version", Error, Some("INVALID_FLOW_JSON_VERSION");
    /// A well-formed version Meta never released (older than the newest known). [ERR S4] rule 3,
    /// `UNSUPPORTED_FLOW_JSON_VERSION`; the release list, rule 14 [DOC S6].
    UnsupportedVersion = "unsupported-version", Error, Some("UNSUPPORTED_FLOW_JSON_VERSION");
    /// A version newer than the newest this linter knows (7.3): it is checked as 7.3. \[INF\]
    NewerVersion = "newer-version", Warning, None;
    /// A frozen version: Meta no longer lets it be published (flows already published still run).
    /// [DOC S5, S6] rules 12–13; error 139002.
    FrozenVersion = "frozen-version", Warning, Some("139002");
    /// `data_api_version` other than `"3.0"` (and `"4.0"` from Flow JSON 7.3). [ERR S4] rule 3
    /// (`NO_SUPPORTED_DATA_API_VERSION`); flow-client.md §1.1 [D-CL], [WA WAFlowJSONRootSchema].
    InvalidDataApiVersion = "invalid-data-api-version", Error, Some("NO_SUPPORTED_DATA_API_VERSION");
    /// `data_channel_uri` in Flow JSON 3.0 or later. [DOC S1] rule 9, `INVALID_PROPERTY_KEY`.
    DataChannelUri = "data-channel-uri", Error, Some("INVALID_PROPERTY_KEY");
    /// `screens` is empty. [ERR S4] rule 6, `MIN_ITEMS_REQUIRED`.
    NoScreens = "no-screens", Error, Some("MIN_ITEMS_REQUIRED");
    /// More than 100 screens. [ERR S4] rule 7, `MAX_SCREENS_NUMBER`.
    TooManyScreens = "too-many-screens", Error, Some("MAX_SCREENS_NUMBER");
    /// A component, property, action or expression used in a version older than the one that
    /// introduced it. flow-client.md §1.4 (version history), flow-json-rules.md rules 14, 44, 51,
    /// §10 ("needs 5.1+" …), §11 (4.0+) [DOC S1, S2, S6].
    VersionGate = "version-gate", Error, None;

    // ---------------------------------------------------------------- screens
    /// A screen id with characters other than letters and underscores (or empty). [ERR S4] rule 18
    /// (`PATTERN_MISMATCH`), rule 6 (`MIN_CHARS_REQUIRED`).
    InvalidScreenId = "invalid-screen-id", Error, Some("PATTERN_MISMATCH");
    /// Two screens with the same id. [ERR S4] rule 17, `DUPLICATE_SCREEN_IDS`.
    DuplicateScreenId = "duplicate-screen-id", Error, Some("DUPLICATE_SCREEN_IDS");
    /// A screen called `SUCCESS` (in any case). [DOC S1, S8] [ERR S4] rule 19, `SCREEN_ID_IS_RESERVED_KEYWORD`.
    ReservedScreenId = "reserved-screen-id", Error, Some("SCREEN_ID_IS_RESERVED_KEYWORD");
    /// No screen is `terminal: true`. [ERR S4] rule 20, `MISSING_TERMINAL_SCREEN`.
    MissingTerminalScreen = "missing-terminal-screen", Error, Some("MISSING_TERMINAL_SCREEN");
    /// A terminal screen without a Footer. [DOC S1] [ERR S4] rule 21, `MISSING_FOOTER_ON_TERMINAL_SCREEN`.
    TerminalWithoutFooter = "terminal-without-footer", Error, Some("MISSING_FOOTER_ON_TERMINAL_SCREEN");
    /// `success` on a screen that is not terminal. [DOC S1] [ERR S4] rule 22, `NOT_KEYWORD_SCHEMA_VALIDATION_FAILED`.
    SuccessOnNonTerminal = "success-on-non-terminal", Error, Some("NOT_KEYWORD_SCHEMA_VALIDATION_FAILED");
    /// Every terminal screen has `success: false`. [ERR S4] rule 22, `INVALID_PROPERTY_VALUE`.
    NoSuccessScreen = "no-success-screen", Error, Some("INVALID_PROPERTY_VALUE");
    /// `refresh_on_back: true` in a flow without `data_api_version`. [DOC S1] [ERR S4] rule 23.
    RefreshOnBackWithoutEndpoint = "refresh-on-back-without-endpoint", Error, Some("INVALID_PROPERTY_VALUE");
    /// A screen without `title`. [DOC S1] rule 25 says it is optional; the client schema requires it
    /// (flow-client.md §1.2 [WA WAFlowJSONScreenSchema]) and [3P T3] says the validator rejects it: a warning.
    MissingTitle = "missing-title", Warning, None;
    /// A `sensitive` entry that names no input of the screen. [DOC S1] rule 24; code from [3P T1]: a warning.
    UnknownSensitiveField = "unknown-sensitive-field", Warning, Some("INVALID_SENSITIVE_FIELD");

    // ---------------------------------------------------------------- routing model
    /// `data_api_version` without `routing_model`. [ERR S4] rule 54 ("The property 'routing_model' is
    /// required for property 'data_api_version'.").
    MissingRoutingModel = "missing-routing-model", Error, Some("MISSING_REQUIRED_PROPERTY");
    /// The routing model names a screen the flow does not have. [ERR S4] rule 62, `INVALID_ROUTING_MODEL`.
    RoutingUnknownScreen = "routing-unknown-screen", Error, Some("INVALID_ROUTING_MODEL");
    /// A screen that is neither a key nor a destination of the routing model. [ERR S4] rule 62;
    /// [INF S11] rule 63 (a destination counts).
    RoutingMissingScreen = "routing-missing-screen", Error, Some("INVALID_ROUTING_MODEL");
    /// A route from a screen to itself (or a navigate to the current screen). [DOC S1] rule 60.1;
    /// [ERR S4] rule 55 ("Same screen navigation is not allowed").
    RoutingSelfRoute = "routing-self-route", Error, Some("INVALID_ROUTING_MODEL");
    /// Both A→B and B→A. [DOC S1] rule 60.3, [ERR S4] rule 62.
    RoutingBackwardRoute = "routing-backward-route", Error, Some("INVALID_ROUTING_MODEL");
    /// A cycle through several screens. [ERR S4] rule 62 ("Loop detected in the routing model").
    RoutingCycle = "routing-cycle", Error, Some("INVALID_ROUTING_MODEL");
    /// Every screen has an inbound route. [DOC S1] rule 60.5, [ERR S4] rule 62.
    RoutingNoEntry = "routing-no-entry", Error, Some("INVALID_ROUTING_MODEL");
    /// Screens not connected with the rest (the routing model, or the navigate actions when there is
    /// no endpoint, falls apart). [ERR S4] rule 62.
    RoutingDisconnected = "routing-disconnected", Error, Some("INVALID_ROUTING_MODEL");
    /// More than 10 outgoing routes from one screen. [DOC S1] [ERR S4] rule 61.
    RoutingTooManyBranches = "routing-too-many-branches", Error, Some("INVALID_ROUTING_MODEL");
    /// A navigate action to a screen the routing model does not route to. [ERR S4] rule 62 ("Missing
    /// direct route from screen … while it exists in the navigate screen action").
    RoutingMissingRoute = "routing-missing-route", Error, Some("INVALID_ROUTING_MODEL");

    // ---------------------------------------------------------------- data model
    /// A data declaration without (or with an unknown) `type`, an array without `items`, `items` that
    /// is not a boolean or an object. [ERR S4] rule 35, `INVALID_SCREEN_DATA`.
    InvalidDataModel = "invalid-data-model", Error, Some("INVALID_SCREEN_DATA");
    /// A top-level data field without `__example__`. [DOC S1] rule 34, [ERR S4] rule 35.
    MissingExample = "missing-example", Error, Some("INVALID_SCREEN_DATA");
    /// An `__example__` of another type than declared. [ERR S4] rule 35, `INVALID_SCREEN_DATA`.
    ExampleTypeMismatch = "example-type-mismatch", Error, Some("INVALID_SCREEN_DATA");
    /// `__example__` below the top level of a declaration. [ERR S4] rule 35, `INVALID_SCREEN_DATA`.
    NestedExample = "nested-example", Error, Some("INVALID_SCREEN_DATA");

    // ---------------------------------------------------------------- dynamic references
    /// `${data.x}` where the screen declares no `x`. [ERR S4] rules 36, 42, `INVALID_SCREEN_DYNAMIC_DATA`.
    UnknownDataReference = "unknown-data-reference", Error, Some("INVALID_SCREEN_DYNAMIC_DATA");
    /// `${form.x}` where the screen has no input named `x`. [ERR S4] rule 42,
    /// `INVALID_ON_CLICK_ACTION_PAYLOAD` ("Missing Form component … for screen").
    UnknownFormReference = "unknown-form-reference", Error, Some("INVALID_ON_CLICK_ACTION_PAYLOAD");
    /// `${screen.X…}` where the flow has no screen `X`, or `X` has no such field. [ERR S4] rule 43.
    UnknownScreenReference = "unknown-screen-reference", Error, Some("INVALID_SCREEN_DYNAMIC_DATA");
    /// `${screen.X…}` on screen `X` itself. [ERR S4] rule 43 ("Convert expression to local referencing").
    CurrentScreenReference = "current-screen-reference", Error, Some("INVALID_SCREEN_DYNAMIC_DATA");
    /// A reference whose declared type does not fit the property (a boolean property bound to a
    /// string, a data-source bound to a string). [ERR S4] rule 36 ("Expected … to be of type …").
    ReferenceType = "reference-type", Error, Some("INVALID_SCREEN_DYNAMIC_DATA");
    /// A dynamic `data-source` (or `list-items`) whose item schema lacks `id`/`title` (`main-content`).
    /// [ERR S4] rule 36 ("Missing schema for …"), [DOC S2] rule 37.
    DataSourceSchema = "data-source-schema", Error, Some("INVALID_SCREEN_DYNAMIC_DATA");
    /// A dynamic value or condition that does not parse. [ERR S4] rule 45; flow-client.md §5.
    ExpressionSyntax = "expression-syntax", Error, Some("INVALID_PROPERTY_VALUE");
    /// A nested expression or condition whose types do not fit. [DOC S1] rule 44, [ERR S4] rule 45,
    /// [DOC S6] 7.2 (validated in actions).
    ExpressionType = "expression-type", Error, Some("INVALID_PROPERTY_VALUE");
    /// A value that starts with `${` and ends with `}` but is not one binding (`"${data.a} ${data.b}"`):
    /// the client renders it empty. flow-client.md §5.1 [WA DynamicDataUtils]; Meta's validator may
    /// accept it in string properties: a warning.
    MalformedBinding = "malformed-binding", Warning, None;
    /// A nested expression the client accepts but that is almost certainly a mistake: `${…}` or `}`
    /// inside a quoted string, `,`/`;` between concatenated parts. flow-client.md §5.2 [WA ASTParser].
    SuspiciousExpression = "suspicious-expression", Warning, None;
    /// `"Hi ${data.name}"`: text around a reference is shown as typed, not filled in.
    /// flow-client.md §5.1 [WA DynamicDataUtils/StateParser].
    UninterpolatedReference = "uninterpolated-reference", Warning, None;
    /// A nested expression where Meta accepts none (`init-value(s)`, `error-message(s)`).
    /// [DOC S1] rule 44, flow-client.md §5.2 [WA DynamicParserValidatorV600].
    ExpressionNotAllowed = "expression-not-allowed", Error, None;

    // ---------------------------------------------------------------- names
    /// Two inputs of one Form with the same name (If/Switch branches included). [ERR S4] rule 32,
    /// `DUPLICATE_FORM_COMPONENT_NAMES`.
    DuplicateFormName = "duplicate-form-name", Error, Some("DUPLICATE_FORM_COMPONENT_NAMES");
    /// Two components of one screen with the same name outside a Form. [DOC S3] rule 32 for the
    /// pickers; \[INF\] for the rest: a warning.
    DuplicateName = "duplicate-name", Warning, None;

    // ---------------------------------------------------------------- component limits
    /// More than 50 components on a screen. [DOC S2] rule 27; code [3P T1].
    TooManyComponents = "too-many-components", Error, Some("MAX_ALLOWED_COMPONENTS_PER_SCREEN");
    /// More of one component than a screen (or flow) allows: Footer 1, EmbeddedLink 2, Image 3,
    /// OptIn 5 [ERR S4] rule 28; PhotoPicker 1, DocumentPicker 1 [DOC S3] rule 29; NavigationList 2
    /// [DOC S2] rule 30; ImageCarousel 2 per screen, 3 per flow [DOC S2, flow-client.md §2.2];
    /// Form 1 from 7.0 [WA WAFlowJSONConstants]. Counted along each If/Switch branch.
    TooManyOfKind = "too-many-of-kind", Error, None;
    /// PhotoPicker and DocumentPicker on one screen. [DOC S3] rule 29.
    PickerCombination = "photo-and-document-picker", Error, None;
    /// NavigationList with other components, or on a terminal screen. [DOC S2] rule 30.
    NavigationListPlacement = "navigation-list-placement", Error, Some("INVALID_PROPERTY_KEY");
    /// RichText not alone on its screen (a Footer may join it from 6.3). [DOC S2] rule 31.
    RichTextPlacement = "rich-text-placement", Error, Some("INVALID_RICHTEXT_PLACEMENT");
    /// Static text longer than the component allows. §10 [DOC S2]; whether Meta rejects or truncates
    /// is not documented (rule 13 of "uncertain", flow-client.md §6 "Builder-only warnings"): a warning.
    TextTooLong = "text-too-long", Warning, None;
    /// Too few or too many options / items in a literal list (CheckboxGroup and RadioButtonsGroup
    /// 1–20, Dropdown 1–200 (100 with images), ChipsSelector 2–20, NavigationList 1–20,
    /// ImageCarousel 1–3). §10 [DOC S2]; codes `MIN_ITEMS_REQUIRED` / `MAX_ITEMS_REQUIRED` [3P T1].
    OptionCount = "option-count", Error, None;
    /// A `min-*` greater than its `max-*`. [ERR S4] §10, `MIN_VALUE_GREATER_THAN_MAX`.
    MinGreaterThanMax = "min-greater-than-max", Error, Some("MIN_VALUE_GREATER_THAN_MAX");
    /// A number outside its documented range (picker sizes and counts, negative lengths).
    /// [DOC S3] [ERR S4] §10, `MINIMUM_VALUE_REQUIRED` / `MAXIMUM_VALUE_REQUIRED`.
    ValueOutOfRange = "value-out-of-range", Error, None;
    /// Two options of one list with the same `id`. flow-client.md §6 ("duplicate/empty option ids",
    /// a Builder warning [WA WELJValidationUtils]).
    DuplicateOptionId = "duplicate-option-id", Warning, None;
    /// An option with both `image` and `color`. [3P T1] §10 `DATA_SOURCE_ITEMS_HAVE_BOTH_IMAGE_AND_COLOR`: a warning.
    ImageAndColor = "image-and-color", Warning, Some("DATA_SOURCE_ITEMS_HAVE_BOTH_IMAGE_AND_COLOR");
    /// TextInput `pattern` without `helper-text`. [DOC S2] §10 ("requires helper-text").
    PatternWithoutHelperText = "pattern-without-helper-text", Error, Some("MISSING_REQUIRED_PROPERTY");
    /// TextInput `pattern` with an `input-type` it does not apply to. [DOC S2] §10 ("works only with
    /// text, number, password or passcode"): a warning, the pattern is ignored.
    PatternIgnored = "pattern-ignored", Warning, None;
    /// NavigationList item rules: at most one badge, at most 3 tags, no `end` with `media-size:
    /// large`. [DOC S2] §10.
    NavigationListItem = "navigation-list-item", Error, None;
    /// CalendarPicker properties that fit the other `mode` (`title`, `description`, `min-days`,
    /// `max-days` only in range mode; per-end objects only in range mode). [DOC S2] §10; codes [3P T1].
    CalendarMode = "calendar-mode", Error, Some("UNEXPECTED_CALENDAR_PICKER_RANGE_MODE_PROP");
    /// A date in the wrong format: millisecond timestamps before 5.0, `YYYY-MM-DD` from 5.0.
    /// [DOC S2] §10 (DatePicker, CalendarPicker).
    DateFormat = "date-format", Error, None;

    // ---------------------------------------------------------------- Footer
    /// Footer captions: `right-caption` without `left-caption` (or the reverse), or `center-caption`
    /// with either. [DOC S2] [ERR S4] §10, `INVALID_DEPENDENCIES` / `NOT_KEYWORD_SCHEMA_VALIDATION_FAILED`.
    FooterCaptions = "footer-captions", Error, Some("INVALID_DEPENDENCIES");

    // ---------------------------------------------------------------- actions
    /// An action its slot does not accept (`complete` on an EmbeddedLink, `update_data` on a Footer,
    /// an unknown action name). [DOC S2] [ERR S4] rule 52, `INVALID_ENUM_VALUE`; flow-client.md §2.3.
    ActionNotAllowed = "action-not-allowed", Error, Some("INVALID_ENUM_VALUE");
    /// `complete` on a screen that is not terminal. [DOC S1] [ERR S4] rule 53, `INVALID_COMPLETE_ACTION`.
    CompleteOnNonTerminal = "complete-on-non-terminal", Error, Some("INVALID_COMPLETE_ACTION");
    /// `navigate` on the Footer of a terminal screen: the flow would not end there. [DOC S1] rule 53
    /// (guidance, no error code): a warning.
    NavigateFromTerminalFooter = "navigate-from-terminal-footer", Warning, None;
    /// `data_exchange` in a flow without `data_api_version`. [DOC S1] [ERR S4] rule 54.
    DataExchangeWithoutEndpoint = "data-exchange-without-endpoint", Error, Some("MISSING_REQUIRED_PROPERTY");
    /// `navigate` to a screen the flow does not have. [ERR S4] rule 55, `INVALID_NAVIGATE_ACTION_NEXT_SCREEN_NAME`.
    NavigateUnknownScreen = "navigate-unknown-screen", Error, Some("INVALID_NAVIGATE_ACTION_NEXT_SCREEN_NAME");
    /// A `navigate` payload that does not fit the next screen's data model (keys missing on either
    /// side, types that differ). [ERR S4] rule 55, `INVALID_NAVIGATE_ACTION_PAYLOAD`.
    NavigatePayload = "navigate-payload", Error, Some("INVALID_NAVIGATE_ACTION_PAYLOAD");
    /// An `update_data` key the current screen does not declare. [DOC S1] rule 56 (code [3P T1]);
    /// the client rejects it at run time (flow-client.md §4.4).
    UpdateDataUndeclared = "update-data-undeclared", Error, Some("INVALID_UPDATE_DATA_ACTION_PAYLOAD");
    /// A PhotoPicker/DocumentPicker value where it is not allowed (in `navigate`, nested in an object,
    /// in `complete` without `max-uploaded-*` ≤ 1, two pickers in one `complete`). [DOC S3] [ERR S4] rule 58.
    MediaPayload = "media-payload", Error, Some("INVALID_ON_CLICK_ACTION_PAYLOAD");
    /// NavigationList `on-click-action` must be on the component or on every item, not both.
    /// [DOC S2] rule 52.
    NavigationListAction = "navigation-list-action", Error, None;

    // ---------------------------------------------------------------- forms
    /// An input outside a Form: before 4.0 every input must be in a Form ([ERR S4] rule 46,
    /// `KEYWORD_ONE_OF`); when a screen has a Form, no input may be outside it ([ERR S4] rule 47,
    /// `COMPONENTS_OUTSIDE_FORM`).
    InputOutsideForm = "input-outside-form", Error, Some("COMPONENTS_OUTSIDE_FORM");
    /// Before 4.0, a Footer outside the Form that reads `${form…}`. [ERR S4] rule 48,
    /// `INVALID_FOOTER_PAYLOAD_OUTSIDE_FORM`.
    FooterOutsideForm = "footer-outside-form", Error, Some("INVALID_FOOTER_PAYLOAD_OUTSIDE_FORM");
    /// Form `init-values` / `error-messages` keys that name no input of the form, or (from 7.0)
    /// values of the wrong type for the input. [DOC S1] rule 49, [DOC S6] 7.0.
    FormInitValues = "form-init-values", Error, None;
    /// A PhotoPicker/DocumentPicker in `init-values`. [DOC S3] [ERR S4] rule 50,
    /// `NATIVE_COMPONENT_IN_FORM_INIT_VALUES`.
    PickerInitValue = "picker-init-value", Error, Some("NATIVE_COMPONENT_IN_FORM_INIT_VALUES");
    /// Component-level `init-value` / `error-message` on a component inside a Form (use the Form's
    /// `init-values` / `error-messages`). [DOC S2] rule 50.
    FormOnlyProperty = "form-only-property", Error, Some("INVALID_PROPERTY_KEY");

    // ---------------------------------------------------------------- If / Switch
    /// If with an empty `then`. [DOC S2] [ERR S4] rule 68.
    IfEmptyThen = "if-empty-then", Error, Some("INVALID_PROPERTY_VALUE");
    /// Ifs nested more than 3 deep. [DOC S2] rule 68 (code [3P T1]).
    IfNesting = "if-nesting", Error, Some("MAXIMUM_IF_NESTING");
    /// A Footer in one If branch but not the other, or in a nested If. [DOC S2] [ERR S4] rule 69.
    IfFooter = "if-footer", Error, Some("MISSING_FOOTER_IN_IF_ELSE_BRANCHES");
    /// A Footer in some Switch cases but not all. [DOC S2] [ERR S4] rule 70.
    SwitchFooter = "switch-footer", Error, Some("MISSING_FOOTER_IN_SWITCH_BRANCHES");
    /// Switch with no cases. [DOC S2] [ERR S4] rule 70 (code [3P T1]).
    SwitchEmptyCases = "switch-empty-cases", Error, Some("EMPTY_SWITCH_CASES");
    /// A component an If or Switch branch does not accept. [DOC S2] rules 68, 70.
    BranchComponent = "branch-component", Error, Some("INVALID_COMPONENT_PLACEMENT");
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Where a diagnostic points in the source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    /// The start: the member's key for object members, else the value.
    pub start: Position,
    /// Just past the end of the value.
    pub end: Position,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The rule.
    pub rule: Rule,
    /// The severity (the rule's).
    pub severity: Severity,
    /// The JSON pointer (RFC 6901) of the value it is about (`""`: the document).
    pub pointer: String,
    /// What is wrong and what to change.
    pub message: String,
    /// Meta's error code for this finding, when Meta documents one.
    pub code: Option<&'static str>,
    /// Line and column in the source text; set by [`crate::Document`], `None` from
    /// [`crate::validate`] (which has no text).
    pub location: Option<Location>,
    /// For a finding inside a string value: the byte offset in the decoded string, so the column
    /// can point at the exact place.
    pub(crate) string_offset: Option<usize>,
}

impl Diagnostic {
    /// A diagnostic of `rule` at `pointer`.
    #[must_use]
    pub fn new(rule: Rule, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            rule,
            severity: rule.severity(),
            pointer: pointer.into(),
            message: message.into(),
            code: rule.meta_code(),
            location: None,
            string_offset: None,
        }
    }

    /// The same diagnostic with another Meta error code.
    #[must_use]
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    /// The same diagnostic pointing `offset` bytes into the string value at its pointer.
    #[must_use]
    pub(crate) fn at_offset(mut self, offset: usize) -> Self {
        self.string_offset = Some(offset);
        self
    }

    /// The 1-based line, when known.
    #[must_use]
    pub fn line(&self) -> Option<usize> {
        self.location.map(|l| l.start.line)
    }

    /// The 1-based column (in characters), when known.
    #[must_use]
    pub fn column(&self) -> Option<usize> {
        self.location.map(|l| l.start.column)
    }

    /// Whether this is an error.
    #[must_use]
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// As JSON for editors and CI: `{"rule", "severity", "pointer", "message", "code", "line",
/// "column", "end_line", "end_column"}` (positions `null` without a location).
impl serde::Serialize for Diagnostic {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Diagnostic", 9)?;
        s.serialize_field("rule", self.rule.id())?;
        s.serialize_field("severity", self.severity.as_str())?;
        s.serialize_field("pointer", &self.pointer)?;
        s.serialize_field("message", &self.message)?;
        s.serialize_field("code", &self.code)?;
        s.serialize_field("line", &self.location.map(|l| l.start.line))?;
        s.serialize_field("column", &self.location.map(|l| l.start.column))?;
        s.serialize_field("end_line", &self.location.map(|l| l.end.line))?;
        s.serialize_field("end_column", &self.location.map(|l| l.end.column))?;
        s.end()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = self.location {
            write!(f, "{}:{}: ", l.start.line, l.start.column)?;
        }
        write!(f, "{}[{}]: {}", self.severity, self.rule, self.message)?;
        if !self.pointer.is_empty() {
            write!(f, " (at {})", self.pointer)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn diagnostics_serialize_for_editors() {
        let d = Diagnostic::new(Rule::NoScreens, "/screens", "needs a screen");
        let v = serde_json::to_value(&d).unwrap_or_default();
        assert_eq!(v["rule"], "no-screens");
        assert_eq!(v["severity"], "error");
        assert_eq!(v["code"], "MIN_ITEMS_REQUIRED");
        assert!(v["line"].is_null());
    }

    #[test]
    fn rule_ids_are_unique_kebab_case_and_round_trip() {
        let mut seen = HashSet::new();
        for rule in Rule::ALL {
            let id = rule.id();
            assert!(seen.insert(id), "{id}");
            assert!(
                id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{id}"
            );
            assert_eq!(Rule::from_id(id), Some(*rule));
        }
    }
}
