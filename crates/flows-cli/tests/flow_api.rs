//! `flows flow ...` and `flows message send`, the built binary against a mock Graph API on loopback.
//! Reply bodies follow the examples of Meta's Flows API reference
//! (<https://developers.facebook.com/docs/whatsapp/flows/reference/flowsapi>) and Cloud API messages
//! reference.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod graph_mock;

use std::path::PathBuf;
use std::time::Duration;

use common::{TOKEN, flows, run};
use graph_mock::{Answer, MockGraph};
use serde_json::json;

const WABA: &str = "102290129340398";
const FLOW: &str = "1234567890";
const PHONE: &str = "106540352242922";

fn sample_flow() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/sample-flow/flow.json")
}

/// `flows <args> --graph-url <mock>` with the token.
fn cli(mock: &MockGraph, args: &[&str]) -> common::Run {
    run(flows()
        .args(args)
        .arg("--graph-url")
        .arg(&mock.url)
        .env("WHATSAPP_ACCESS_TOKEN", TOKEN))
}

#[track_caller]
fn assert_bearer(seen: &graph_mock::Seen) {
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

/// Meta's documented validation error (Flows API reference, "Flow JSON Update Response").
fn meta_validation_error() -> serde_json::Value {
    json!({
        "error": "INVALID_PROPERTY_VALUE",
        "error_type": "FLOW_JSON_ERROR",
        "message": "Invalid value found for property 'type'.",
        "line_start": 10, "line_end": 10, "column_start": 21, "column_end": 34,
        "pointers": [{"line_start": 10, "line_end": 10, "column_start": 21, "column_end": 34,
                      "path": "screens[0].layout.children[0].type"}]
    })
}

fn graph_error() -> Answer {
    Answer::Json(
        400,
        json!({"error": {"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100,
                         "error_subcode": 2388001, "fbtrace_id": "A7hRkY3zbP2"}}),
    )
}

#[track_caller]
fn assert_graph_error(done: &common::Run) {
    for part in [
        "(#100) Invalid parameter",
        "code 100",
        "fbtrace_id A7hRkY3zbP2",
    ] {
        assert!(done.stderr.contains(part), "{part}: {}", done.stderr);
    }
}

#[test]
fn list_follows_the_pages_and_prints_a_table() {
    let mock = MockGraph::start(vec![
        Answer::Json(
            200,
            json!({
                "data": [{"id": "flow-1", "name": "flow 1", "status": "DRAFT", "categories": ["CONTACT_US"], "validation_errors": []},
                         {"id": "flow-2", "name": "flow 2", "status": "PUBLISHED", "categories": ["SURVEY"], "validation_errors": []}],
                "paging": {"cursors": {"before": "QVFIU1", "after": "QVFIU2"}, "next": "https://graph.facebook.com/next"}
            }),
        ),
        Answer::Json(
            200,
            json!({
                "data": [{"id": "flow-3", "name": "flow 3", "status": "DRAFT", "categories": ["LEAD_GENERATION", "OTHER"]}],
                "paging": {"cursors": {"before": "QVFIU2", "after": "QVFIU3"}}
            }),
        ),
    ]);
    let done = cli(&mock, &["flow", "list", "--waba-id", WABA]).expect_code(0);
    let first = mock.next();
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        ("GET", "/v23.0/102290129340398/flows")
    );
    assert_bearer(&first);
    assert!(
        first
            .query_pairs()
            .contains(&("fields".into(), "id,name,status,categories".into()))
    );
    let second = mock.next();
    assert!(
        second
            .query_pairs()
            .contains(&("after".into(), "QVFIU2".into())),
        "{:?}",
        second.query
    );
    mock.assert_no_more();
    let lines: Vec<&str> = done.stdout.lines().collect();
    assert!(
        lines[0].starts_with("ID")
            && lines[0].contains("STATUS")
            && lines[0].ends_with("CATEGORIES")
    );
    assert!(
        lines[2].contains("flow-2")
            && lines[2].contains("PUBLISHED")
            && lines[2].contains("SURVEY")
    );
    assert!(
        lines[3].contains("LEAD_GENERATION,OTHER"),
        "{}",
        done.stdout
    );
}

#[test]
fn create_posts_the_form_with_the_flow_json_as_it_is_in_the_file() {
    let mock = MockGraph::start(vec![Answer::Json(
        200,
        json!({"id": "27499430769702209", "success": true, "validation_errors": []}),
    )]);
    let file = sample_flow();
    let done = cli(
        &mock,
        &[
            "flow",
            "create",
            "--waba-id",
            WABA,
            "--name",
            "Book an appointment",
            "--category",
            "APPOINTMENT_BOOKING",
            "OTHER",
            "--json",
            file.to_str().unwrap(),
            "--endpoint-uri",
            "https://example.com/flow",
            "--publish",
        ],
    )
    .expect_code(0);
    assert_eq!(done.stdout.trim(), "27499430769702209");
    let seen = mock.next();
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("POST", "/v23.0/102290129340398/flows")
    );
    assert_bearer(&seen);
    assert_eq!(
        seen.form_field("name").as_deref(),
        Some("Book an appointment")
    );
    assert_eq!(
        seen.form_field("categories").as_deref(),
        Some(r#"["APPOINTMENT_BOOKING","OTHER"]"#)
    );
    assert_eq!(
        seen.form_field("flow_json").unwrap(),
        std::fs::read_to_string(&file).unwrap()
    );
    assert_eq!(
        seen.form_field("endpoint_uri").as_deref(),
        Some("https://example.com/flow")
    );
    assert_eq!(seen.form_field("publish").as_deref(), Some("true"));
}

#[test]
fn create_without_json_sends_no_flow_json_and_checks_categories_locally() {
    let mock = MockGraph::start(vec![Answer::Json(200, json!({"id": "555"}))]);
    cli(
        &mock,
        &[
            "flow",
            "create",
            "--waba-id",
            WABA,
            "--name",
            "Survey",
            "--category",
            "SURVEY",
        ],
    )
    .expect_code(0);
    let seen = mock.next();
    assert_eq!(seen.form_field("flow_json"), None);
    assert_eq!(seen.form_field("publish"), None);

    let bad = cli(
        &mock,
        &[
            "flow",
            "create",
            "--waba-id",
            WABA,
            "--name",
            "X",
            "--category",
            "NOPE",
        ],
    )
    .expect_code(2);
    assert!(bad.stderr.contains("APPOINTMENT_BOOKING"), "{}", bad.stderr);
    let publish_alone = cli(
        &mock,
        &[
            "flow",
            "create",
            "--waba-id",
            WABA,
            "--name",
            "X",
            "--category",
            "OTHER",
            "--publish",
        ],
    )
    .expect_code(2);
    assert!(
        publish_alone.stderr.contains("--json"),
        "{}",
        publish_alone.stderr
    );
    mock.assert_no_more();
}

#[test]
fn metas_validation_errors_point_into_the_local_file() {
    let mock = MockGraph::start(vec![Answer::Json(
        200,
        json!({"id": "777", "success": true, "validation_errors": [meta_validation_error()]}),
    )]);
    let file = sample_flow();
    let done = cli(
        &mock,
        &[
            "flow",
            "create",
            "--waba-id",
            WABA,
            "--name",
            "N",
            "--category",
            "OTHER",
            "--json",
            file.to_str().unwrap(),
            "--publish",
        ],
    )
    .expect_code(1);
    let expected = format!(
        "{}:10:21: error[INVALID_PROPERTY_VALUE]: Invalid value found for property 'type'.\n  = at: /screens/0/layout/children/0/type",
        file.display()
    );
    assert!(done.stderr.contains(&expected), "{}", done.stderr);
    assert!(done.stderr.contains("NOT published"), "{}", done.stderr);
    assert_eq!(done.stdout.trim(), "777");
}

#[test]
fn a_file_that_does_not_lint_is_refused_before_anything_is_sent() {
    let mock = MockGraph::start(vec![Answer::Json(
        200,
        json!({"success": true, "validation_errors": []}),
    )]);
    let dir = common::temp_dir("lint");
    let broken = dir.join("broken.json");
    std::fs::write(
        &broken,
        "{\n  \"version\": \"7.3\",\n  \"screens\": [\n    {\"id\": \"A\",}\n  ]\n}\n",
    )
    .unwrap();
    for args in [
        vec!["flow", "upload", FLOW, broken.to_str().unwrap()],
        vec![
            "flow",
            "create",
            "--waba-id",
            WABA,
            "--name",
            "N",
            "--category",
            "OTHER",
            "--json",
            broken.to_str().unwrap(),
        ],
    ] {
        let done = cli(&mock, &args).expect_code(2);
        assert!(
            done.stderr
                .contains(&format!("{}:4:16: error[json-syntax]", broken.display())),
            "{}",
            done.stderr
        );
        assert!(done.stderr.contains("--no-lint"), "{}", done.stderr);
    }
    mock.assert_no_more();
    // --no-lint sends it anyway (Meta then reports it).
    cli(
        &mock,
        &[
            "flow",
            "upload",
            FLOW,
            broken.to_str().unwrap(),
            "--no-lint",
        ],
    )
    .expect_code(0);
    let seen = mock.next();
    let parts = seen.multipart();
    assert_eq!(parts[2].3, std::fs::read(&broken).unwrap());
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn upload_sends_the_file_as_multipart_flow_json_asset() {
    let mock = MockGraph::start(vec![Answer::Json(
        200,
        json!({"success": true, "validation_errors": []}),
    )]);
    let file = sample_flow();
    let done = cli(&mock, &["flow", "upload", FLOW, file.to_str().unwrap()]).expect_code(0);
    assert!(done.stdout.contains("uploaded"), "{}", done.stdout);
    let seen = mock.next();
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("POST", "/v23.0/1234567890/assets")
    );
    assert_bearer(&seen);
    assert!(
        seen.header("content-type")
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );
    let parts = seen.multipart();
    let names: Vec<&str> = parts.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(names, ["name", "asset_type", "file"]);
    assert_eq!(parts[0].3, b"flow.json");
    assert_eq!(parts[1].3, b"FLOW_JSON");
    assert_eq!(parts[2].1.as_deref(), Some("flow.json"));
    assert_eq!(parts[2].2.as_deref(), Some("application/json"));
    assert_eq!(parts[2].3, std::fs::read(&file).unwrap());
}

#[test]
fn upload_reports_metas_validation_errors_with_positions_and_exits_1() {
    let mock = MockGraph::start(vec![Answer::Json(
        200,
        json!({"success": true, "validation_errors": [
            meta_validation_error(),
            {"error": "DUPLICATE_SCREEN_IDS", "error_type": "FLOW_JSON_ERROR", "message": "Screen ids must be unique.",
             "line_start": 57, "line_end": 57, "column_start": 13, "column_end": 26, "pointers": []}
        ]}),
    )]);
    let file = sample_flow();
    let done = cli(&mock, &["flow", "upload", FLOW, file.to_str().unwrap()]).expect_code(1);
    assert!(
        done.stderr.contains(&format!(
            "{}:10:21: error[INVALID_PROPERTY_VALUE]",
            file.display()
        )),
        "{}",
        done.stderr
    );
    assert!(
        done.stderr.contains(&format!(
            "{}:57:13: error[DUPLICATE_SCREEN_IDS]: Screen ids must be unique.",
            file.display()
        )),
        "{}",
        done.stderr
    );
    assert!(done.stderr.contains("2 error(s)"), "{}", done.stderr);
}

#[test]
fn publish_deprecate_and_delete_call_their_endpoints() {
    let ok = || Answer::Json(200, json!({"success": true}));
    let mock = MockGraph::start(vec![ok(), ok(), ok()]);
    for (command, method, path, said) in [
        (
            "publish",
            "POST",
            "/v23.0/1234567890/publish",
            "published flow 1234567890",
        ),
        (
            "deprecate",
            "POST",
            "/v23.0/1234567890/deprecate",
            "deprecated flow 1234567890",
        ),
        (
            "delete",
            "DELETE",
            "/v23.0/1234567890",
            "deleted flow 1234567890",
        ),
    ] {
        let done = cli(&mock, &["flow", command, FLOW]).expect_code(0);
        assert_eq!(done.stdout.trim(), said);
        let seen = mock.next();
        assert_eq!(
            (seen.method.as_str(), seen.path.as_str()),
            (method, path),
            "{command}"
        );
        assert_bearer(&seen);
    }
}

/// One invocation of every subcommand, each valid, so only the Graph API's answer decides the outcome.
fn every_subcommand(file: &str) -> Vec<Vec<&str>> {
    vec![
        vec!["flow", "list", "--waba-id", WABA],
        vec![
            "flow",
            "create",
            "--waba-id",
            WABA,
            "--name",
            "N",
            "--category",
            "OTHER",
            "--json",
            file,
        ],
        vec!["flow", "upload", FLOW, file],
        vec!["flow", "publish", FLOW],
        vec!["flow", "deprecate", FLOW],
        vec!["flow", "delete", FLOW],
        vec!["flow", "get", FLOW],
        vec!["flow", "preview", FLOW, "--interactive"],
        vec![
            "message",
            "send",
            "--phone-number-id",
            PHONE,
            "--to",
            "16505551234",
            "--flow-id",
            FLOW,
            "--cta",
            "Book",
            "--body",
            "Hi",
            "--flow-action",
            "data_exchange",
        ],
    ]
}

#[test]
fn graph_api_errors_are_shown_with_code_and_trace_id_and_exit_1() {
    let file = sample_flow();
    let commands = every_subcommand(file.to_str().unwrap());
    let mock = MockGraph::start(commands.iter().map(|_| graph_error()).collect());
    for args in &commands {
        let done = cli(&mock, args).expect_code(1);
        assert_graph_error(&done);
        assert!(done.stdout.is_empty(), "{args:?}: {}", done.stdout);
        mock.next();
    }
}

#[test]
fn a_graph_api_that_never_answers_times_out() {
    let file = sample_flow();
    let commands = every_subcommand(file.to_str().unwrap());
    let mock = MockGraph::start(
        commands
            .iter()
            .map(|_| Answer::Silence(Duration::from_secs(8)))
            .collect(),
    );
    for args in &commands {
        let done = run(flows()
            .args(args)
            .args(["--timeout", "1", "--graph-url", &mock.url])
            .env("WHATSAPP_ACCESS_TOKEN", TOKEN))
        .expect_code(1);
        assert!(
            done.stderr.contains("timed out after 1.00 s"),
            "{args:?}: {}",
            done.stderr
        );
        mock.next();
    }
}

#[test]
fn ids_tokens_and_versions_are_checked_before_anything_is_sent() {
    let mock = MockGraph::start(vec![]);
    let bad_flow = cli(&mock, &["flow", "publish", "../me"]).expect_code(2);
    assert!(bad_flow.stderr.contains("FLOW_ID"), "{}", bad_flow.stderr);
    let bad_waba = cli(&mock, &["flow", "list", "--waba-id", "abc"]).expect_code(2);
    assert!(bad_waba.stderr.contains("--waba-id"), "{}", bad_waba.stderr);
    let bad_version = cli(&mock, &["flow", "get", FLOW, "--api-version", "v1/../x"]).expect_code(2);
    assert!(
        bad_version.stderr.contains("--api-version"),
        "{}",
        bad_version.stderr
    );
    let no_token =
        run(flows().args(["flow", "get", FLOW, "--graph-url", &mock.url])).expect_code(2);
    assert!(
        no_token.stderr.contains("WHATSAPP_ACCESS_TOKEN"),
        "{}",
        no_token.stderr
    );
    mock.assert_no_more();
}

#[test]
fn get_shows_status_endpoint_health_and_validation_errors() {
    // Meta's documented GET /{FLOW-ID} answer, with a validation error added.
    let mock = MockGraph::start(vec![Answer::Json(
        200,
        json!({
            "id": FLOW, "name": "Book an appointment", "status": "DRAFT", "categories": ["LEAD_GENERATION"],
            "validation_errors": [meta_validation_error()], "json_version": "7.3", "data_api_version": "3.0",
            "endpoint_uri": "https://example.com",
            "health_status": {"can_send_message": "BLOCKED", "entities": [
                {"entity_type": "FLOW", "id": FLOW, "can_send_message": "BLOCKED", "errors": [
                    {"error_code": 131000, "error_description": "endpoint_uri: You need to set the endpoint URI before you can send or publish a flow.",
                     "possible_solution": "https://developers.facebook.com/docs/whatsapp/flows/reference/flowjson#top-level-flow-json-properties"}]},
                {"entity_type": "WABA", "id": WABA, "can_send_message": "AVAILABLE"},
                {"entity_type": "APP", "id": "55", "can_send_message": "LIMITED", "additional_info": [
                    "Your app is not subscribed to the message webhook. This means you will not receive any messages sent to your phone number."]}
            ]}
        }),
    )]);
    let done = cli(&mock, &["flow", "get", FLOW]).expect_code(0);
    let seen = mock.next();
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("GET", "/v23.0/1234567890")
    );
    let fields = seen
        .query_pairs()
        .into_iter()
        .find(|(k, _)| k == "fields")
        .unwrap()
        .1;
    for field in [
        "status",
        "validation_errors",
        "endpoint_uri",
        "health_status",
    ] {
        assert!(fields.split(',').any(|f| f == field), "{fields}");
    }
    for line in [
        "status: DRAFT",
        "endpoint URI: https://example.com",
        "json version: 7.3",
        "health: can send messages: BLOCKED",
        "  FLOW 1234567890: BLOCKED",
        "    error 131000: endpoint_uri: You need to set the endpoint URI before you can send or publish a flow.",
        "    Your app is not subscribed to the message webhook.",
        "validation errors: 1",
        "flow 1234567890:10:21: error[INVALID_PROPERTY_VALUE]: Invalid value found for property 'type'.",
    ] {
        assert!(done.stdout.contains(line), "{line}\n{}", done.stdout);
    }
}

#[test]
fn preview_prints_the_url_with_the_interactive_parameters() {
    let url = "https://business.facebook.com/wa/manage/flows/550000/preview/?token=b9d6e1";
    let answer = || {
        Answer::Json(
            200,
            json!({"preview": {"preview_url": url, "expires_at": "2023-05-21T11:18:09+0000"}, "id": FLOW}),
        )
    };
    let mock = MockGraph::start(vec![answer(), answer()]);
    let plain = cli(&mock, &["flow", "preview", FLOW]).expect_code(0);
    assert_eq!(plain.stdout.trim(), url);
    assert!(plain.stderr.contains("expires at 2023-05-21T11:18:09+0000"));
    let seen = mock.next();
    assert!(
        seen.query_pairs()
            .contains(&("fields".into(), "preview.invalidate(false)".into()))
    );

    let interactive = cli(
        &mock,
        &[
            "flow",
            "preview",
            FLOW,
            "--interactive",
            "--flow-token",
            "tok en",
            "--flow-action",
            "data_exchange",
            "--phone-number",
            "15550783881",
            "--invalidate",
        ],
    )
    .expect_code(0);
    assert_eq!(
        interactive.stdout.trim(),
        format!(
            "{url}&interactive=true&flow_token=tok+en&flow_action=data_exchange&phone_number=15550783881"
        )
    );
    assert!(
        mock.next()
            .query_pairs()
            .contains(&("fields".into(), "preview.invalidate(true)".into()))
    );
    let needs_interactive =
        cli(&mock, &["flow", "preview", FLOW, "--flow-token", "t"]).expect_code(2);
    assert!(
        needs_interactive.stderr.contains("--interactive"),
        "{}",
        needs_interactive.stderr
    );
}

#[test]
fn message_send_posts_an_interactive_flow_message_and_prints_its_id() {
    let sent = || {
        Answer::Json(
            200,
            json!({"messaging_product": "whatsapp",
        "contacts": [{"input": "+16505551234", "wa_id": "16505551234"}],
        "messages": [{"id": "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"}]}),
        )
    };
    let mock = MockGraph::start(vec![sent(), sent()]);
    let done = cli(
        &mock,
        &[
            "message",
            "send",
            "--phone-number-id",
            PHONE,
            "--to",
            "+16505551234",
            "--flow-id",
            FLOW,
            "--cta",
            "Book now",
            "--body",
            "Pick a time",
            "--flow-token",
            "token-1",
            "--screen",
            "APPOINTMENT",
            "--payload",
            r#"{"name":"Ana"}"#,
            "--draft",
        ],
    )
    .expect_code(0);
    assert_eq!(
        done.stdout.trim(),
        "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
    );
    let seen = mock.next();
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("POST", "/v23.0/106540352242922/messages")
    );
    assert_bearer(&seen);
    assert_eq!(
        seen.json(),
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505551234", "type": "interactive",
            "interactive": {"type": "flow", "body": {"text": "Pick a time"}, "action": {"name": "flow", "parameters": {
                "flow_message_version": "3", "flow_id": FLOW, "flow_cta": "Book now", "flow_token": "token-1",
                "flow_action": "navigate", "flow_action_payload": {"screen": "APPOINTMENT", "data": {"name": "Ana"}},
                "mode": "draft"}}}
        })
    );

    cli(
        &mock,
        &[
            "message",
            "send",
            "--phone-number-id",
            PHONE,
            "--to",
            "16505551234",
            "--flow-id",
            FLOW,
            "--cta",
            "Book",
            "--body",
            "Hi",
            "--flow-action",
            "data_exchange",
        ],
    )
    .expect_code(0);
    let parameters = mock.next().json()["interactive"]["action"]["parameters"].clone();
    assert_eq!(
        parameters,
        json!({"flow_message_version": "3", "flow_id": FLOW, "flow_cta": "Book", "flow_action": "data_exchange"})
    );
}

#[test]
fn message_send_checks_its_flags_locally() {
    let mock = MockGraph::start(vec![]);
    let base = [
        "message",
        "send",
        "--phone-number-id",
        PHONE,
        "--to",
        "16505551234",
        "--flow-id",
        FLOW,
        "--body",
        "Hi",
    ];
    for (extra, says) in [
        (vec!["--cta", "Book"], "--screen"),
        (
            vec![
                "--cta",
                "This call to action is far too long",
                "--screen",
                "A",
            ],
            "--cta",
        ),
        (
            vec!["--cta", "Book", "--screen", "A", "--payload", "[1]"],
            "--payload",
        ),
        (
            vec!["--cta", "Book", "--screen", "A", "--payload", "{}"],
            "--payload",
        ),
        (
            vec![
                "--cta",
                "Book",
                "--flow-action",
                "data_exchange",
                "--screen",
                "A",
            ],
            "navigate",
        ),
    ] {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(extra);
        let done = cli(&mock, &args).expect_code(2);
        assert!(done.stderr.contains(says), "{says}: {}", done.stderr);
    }
    mock.assert_no_more();
}

#[test]
fn every_subcommand_has_help_with_an_example() {
    for args in [
        &["flow", "list"][..],
        &["flow", "create"],
        &["flow", "upload"],
        &["flow", "publish"],
        &["flow", "deprecate"],
        &["flow", "delete"],
        &["flow", "get"],
        &["flow", "preview"],
        &["message", "send"],
    ] {
        let mut with_help = args.to_vec();
        with_help.push("--help");
        let help = run(flows().args(&with_help)).expect_code(0);
        assert!(help.stdout.contains("Example"), "{args:?}: {}", help.stdout);
        assert!(
            help.stdout.contains("--graph-url") && help.stdout.contains("--api-version"),
            "{args:?}"
        );
    }
}

#[test]
fn the_linter_refuses_a_flow_meta_would_reject_and_points_at_it() {
    let mock = MockGraph::start(vec![Answer::Json(
        200,
        json!({"success": true, "validation_errors": []}),
    )]);
    let dir = common::temp_dir("lint-gate");
    let text = std::fs::read_to_string(sample_flow()).unwrap();
    let broken = dir.join("broken.json");
    // A component type Meta does not define (its INVALID_PROPERTY_VALUE).
    std::fs::write(
        &broken,
        text.replacen("\"type\": \"Footer\"", "\"type\": \"Fouter\"", 1),
    )
    .unwrap();
    let done = cli(&mock, &["flow", "upload", FLOW, broken.to_str().unwrap()]).expect_code(2);
    let fixed = std::fs::read_to_string(&broken).unwrap();
    let at = fixed.find("\"type\": \"Fouter\"").unwrap();
    let line = fixed[..at].matches('\n').count() + 1;
    let column = at - fixed[..at].rfind('\n').map_or(0, |n| n + 1) + 1;
    let source_line = fixed.lines().nth(line - 1).unwrap();
    let expected = format!(
        "{}:{line}:{column}: error[unknown-component]: `Fouter` is not a WhatsApp Flows component\n",
        broken.display()
    );
    assert!(done.stderr.contains(&expected), "{}", done.stderr);
    assert!(
        done.stderr.contains(&format!(
            "{line} | {source_line}\n{} | {}^",
            " ".repeat(line.to_string().len()),
            " ".repeat(column - 1)
        )),
        "{}",
        done.stderr
    );
    assert!(done.stderr.contains("--no-lint"), "{}", done.stderr);
    mock.assert_no_more();
    std::fs::remove_dir_all(dir).ok();
}
