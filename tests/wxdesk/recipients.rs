//! Recipients (the people warnings go to) end to end: numbers whole only for the roles the
//! matrix gives `manage_recipients`, masked for the rest; the import's line-numbered report,
//! the same from CSV and .xlsx; paging; concurrent edits refused, not lost; and no number in
//! the change log, the audit log or the central's own log.

use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};
use wxdesk::console::backend::xlsx::workbook;
use wxdesk::console::messages::table::{Cell, Table};
use wxdesk::domain::access::{Capability, Role, allows};

use crate::support::{TestCentral, captured_logs, client_with};

const SAMPLE: &[u8] = include_bytes!("../data/recipients/sample.csv");
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// Every number of the sample, as stored (the digits that must never leak).
const NUMBERS: [&str; 4] = ["13800000001", "13800000002", "13800000007", "13800000005"];

async fn import(central: &TestCentral, body: Vec<u8>, content_type: &str, query: &str) -> Value {
    let admin = client_with(&central.token(Role::Administrator).await);
    let response = admin
        .post(central.url(&format!("/recipients/import{query}")))
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn get(central: &TestCentral, role: Role, path: &str) -> (u16, Value) {
    central.get_as(role, path).await
}

fn lines(report: &Value, key: &str) -> Vec<u64> {
    report[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["line"].as_u64().unwrap())
        .collect()
}

/// The sample as an .xlsx workbook, cell for cell; one number typed as a number.
fn sample_xlsx() -> Vec<u8> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(SAMPLE);
    let mut rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let headings = rows.remove(0);
    let cells = |row: &Vec<String>| -> Vec<Cell> {
        row.iter()
            .map(|c| match c.as_str() {
                "13800000004" => Cell::number(Some(13_800_000_004.0), 0),
                _ => Cell::text(c.clone()),
            })
            .collect()
    };
    workbook(&[Table {
        title: "接收人".into(),
        headings,
        rows: rows.iter().map(cells).collect(),
    }])
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_import_report_names_the_bad_lines_and_a_dry_run_stores_nothing() {
    let central = TestCentral::start().await;
    let dry = import(&central, SAMPLE.to_vec(), "text/csv", "?dry_run=true").await;
    assert_eq!(dry["committed"], false, "{dry}");
    assert_eq!(lines(&dry, "imported"), [2, 3, 8, 9], "{dry}");
    let (_, page) = get(&central, Role::Supervisor, "/recipients").await;
    assert_eq!(page["total"], 0, "a dry run stores nothing");

    let report = import(&central, SAMPLE.to_vec(), "text/csv; charset=utf-8", "").await;
    assert_eq!(report["committed"], true, "{report}");
    assert_eq!(report["lines"], 8);
    assert_eq!(lines(&report, "imported"), [2, 3, 8, 9]);
    assert_eq!(lines(&report, "problems"), [4, 5, 6, 7]);
    let fields: Vec<&str> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["phone", "township", "name", "phone"]);
    let problems = report["problems"].as_array().unwrap();
    assert_eq!(problems[0]["zh"], "是固定电话，不是手机号");
    assert!(problems[3]["en"].as_str().unwrap().contains("line 2"));
    let (_, page) = get(&central, Role::Supervisor, "/recipients").await;
    assert_eq!(page["total"], 4);

    // Again, all or nothing: the numbers are taken now, so only line 9 (WeChat only) would
    // go in, and with refusals nothing does.
    let again = import(
        &central,
        SAMPLE.to_vec(),
        "text/csv",
        "?all_or_nothing=true",
    )
    .await;
    assert_eq!(again["committed"], false, "{again}");
    assert_eq!(again["imported"], json!([{"line": 9}]));
    assert_eq!(lines(&again, "problems"), [2, 3, 4, 5, 6, 7, 8]);
    assert!(
        again["problems"][0]["en"]
            .as_str()
            .unwrap()
            .contains("recipient 1")
    );
    let (_, page) = get(&central, Role::Supervisor, "/recipients").await;
    assert_eq!(page["total"], 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_xlsx_import_gives_the_csv_result() {
    let from_csv = TestCentral::start().await;
    let from_xlsx = TestCentral::start().await;
    let mut csv = import(&from_csv, SAMPLE.to_vec(), "text/csv", "").await;
    let mut xlsx = import(&from_xlsx, sample_xlsx(), XLSX, "").await;
    assert_eq!(xlsx["format"], "xlsx");
    csv["format"] = json!("-");
    xlsx["format"] = json!("-");
    assert_eq!(csv, xlsx);
    let (_, a) = get(&from_csv, Role::Administrator, "/recipients").await;
    let (_, b) = get(&from_xlsx, Role::Administrator, "/recipients").await;
    assert_eq!(a, b);
    // Not a workbook, or no file type: refused with a code.
    let admin = client_with(&from_xlsx.token(Role::Administrator).await);
    for (content_type, status, code) in [
        (XLSX, 400, "recipients_file_unreadable"),
        ("application/octet-stream", 415, "unsupported_media_type"),
    ] {
        let response = admin
            .post(from_xlsx.url("/recipients/import"))
            .header(CONTENT_TYPE, content_type)
            .body("姓名\n")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], code, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_are_whole_only_for_the_roles_that_manage_recipients() {
    let central = TestCentral::start().await;
    import(&central, SAMPLE.to_vec(), "text/csv", "").await;
    for role in Role::ALL {
        let (status, page) = get(&central, role, "/recipients?limit=200").await;
        if !allows(role, Capability::Read) {
            assert_eq!(status, 403, "{role}");
            continue;
        }
        assert_eq!(status, 200, "{role}: {page}");
        let whole = allows(role, Capability::ManageRecipients);
        assert_eq!(
            page["numbers"],
            if whole { "whole" } else { "masked" },
            "{role}"
        );
        let zhang = &page["recipients"][0];
        assert_eq!(zhang["name"], "张明");
        let phone = if whole { "13800000001" } else { "138****0001" };
        assert_eq!(zhang["phone"], phone, "{role}");
        let zhou = &page["recipients"][3];
        assert_eq!(zhou["channels"], json!(["wechat"]));
        assert_eq!(zhou["wechat_openid"].is_string(), whole, "{role}");
        if !whole {
            let text = page.to_string();
            for number in NUMBERS {
                assert!(!text.contains(number), "{role} sees {number}");
            }
        }
        // Counts are for every reader, and carry no names.
        let (status, counts) = get(&central, role, "/recipients/counts").await;
        assert_eq!(status, 200);
        assert!(!counts.to_string().contains("张明"));
    }
    let (_, counts) = get(&central, Role::DutyForecaster, "/recipients/counts").await;
    let longjin = counts["counts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["township"] == "350423100" && c["group"] == "informants")
        .unwrap();
    assert_eq!(
        (longjin["active"].as_u64(), longjin["villages"].as_u64()),
        (Some(1), Some(1))
    );
}

fn person(i: u32) -> Value {
    json!({
        "name": format!("测试{i}"),
        "township": "350423101",
        "group": "informants",
        "duty": "informant",
        "phone": format!("1390000{i:04}"),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_filters_and_only_managers_write() {
    let central = TestCentral::start().await;
    let supervisor = client_with(&central.token(Role::Supervisor).await);
    for i in 0..10 {
        let response = supervisor
            .post(central.url("/recipients"))
            .json(&person(i))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let mut seen = Vec::new();
    for offset in [0, 3, 6, 9] {
        let (status, page) = get(
            &central,
            Role::Leader,
            &format!("/recipients?limit=3&offset={offset}"),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(page["total"], 10);
        seen.extend(
            page["recipients"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_u64().unwrap()),
        );
    }
    assert_eq!(seen, (1..=10).collect::<Vec<u64>>());
    let (_, named) = get(
        &central,
        Role::Leader,
        "/recipients?name=%E6%B5%8B%E8%AF%951",
    )
    .await;
    assert_eq!(named["total"], 1, "测试1");
    let (_, none) = get(&central, Role::Leader, "/recipients?township=county").await;
    assert_eq!(none["total"], 0);
    let (status, _) = get(&central, Role::Leader, "/recipients?limit=201").await;
    assert_eq!(status, 400);
    // Writing needs manage_recipients: a forecaster is refused.
    let forecaster = client_with(&central.token(Role::DutyForecaster).await);
    let response = forecaster
        .post(central.url("/recipients"))
        .json(&person(99))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // A landline and a taken number are refused with codes.
    let mut landline = person(50);
    landline["phone"] = json!("0598-5322123");
    for (body, status, code) in [
        (landline, 400, "invalid_recipient"),
        (person(1), 409, "phone_taken"),
    ] {
        let response = supervisor
            .post(central.url("/recipients"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], code, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_edits_do_not_lose_an_update() {
    let central = TestCentral::start().await;
    let supervisor = client_with(&central.token(Role::Supervisor).await);
    let admin = client_with(&central.token(Role::Administrator).await);
    let created: Value = supervisor
        .post(central.url("/recipients"))
        .json(&person(1))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_u64().unwrap();
    let edit = |client: &reqwest::Client, note: &str| {
        let mut body = person(1);
        body["version"] = json!(1);
        body["note"] = json!(note);
        client
            .put(central.url(&format!("/recipients/{id}")))
            .json(&body)
            .send()
    };
    // Both read version 1 and write at once: one wins, the other is told to read again.
    let (a, b) = tokio::join!(edit(&supervisor, "甲"), edit(&admin, "乙"));
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    let loser: Value = if a.status() == 409 {
        a.json().await.unwrap()
    } else {
        b.json().await.unwrap()
    };
    assert_eq!(loser["error"], "recipient_changed");
    assert_eq!(loser["params"]["version"], 2);
    let (_, page) = get(&central, Role::Supervisor, "/recipients").await;
    assert_eq!(page["recipients"][0]["version"], 2);
    // Deleting at a stale version is refused too; at the current one it goes.
    let stale = admin
        .delete(central.url(&format!("/recipients/{id}?version=1")))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 409);
    let gone = admin
        .delete(central.url(&format!("/recipients/{id}?version=2")))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);
    let again = admin
        .delete(central.url(&format!("/recipients/{id}?version=2")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_number_in_the_change_log_the_audit_log_or_the_log() {
    let central = TestCentral::start().await;
    import(&central, SAMPLE.to_vec(), "text/csv", "").await;
    let admin = client_with(&central.token(Role::Administrator).await);
    let mut changed = person(1);
    changed["township"] = json!("county");
    changed["group"] = json!("county");
    changed["phone"] = json!("+86 139 0000 0002");
    let response = admin
        .post(central.url("/recipients"))
        .json(&person(1))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    changed["version"] = json!(1);
    let path = format!("/recipients/{}", created["id"]);
    let response = admin
        .put(central.url(&path))
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let (_, audit) = get(&central, Role::Administrator, "/audit?limit=100").await;
    let entries = audit["entries"].as_array().unwrap();
    let change = entries
        .iter()
        .find(|e| e["action"] == "recipient_changed")
        .expect("the change is audited");
    assert_eq!(change["target"], format!("recipient:{}", created["id"]));
    let said = change.to_string();
    assert!(
        said.contains("phone") && said.contains("township"),
        "{said}"
    );
    assert!(entries.iter().any(|e| e["action"] == "recipients_imported"));
    let (_, changes) = get(&central, Role::Administrator, "/changes").await;
    let logs = captured_logs();
    let mut numbers = NUMBERS.to_vec();
    numbers.extend(["13900000001", "13900000002", "139 0000 0002"]);
    for number in numbers {
        assert!(!audit.to_string().contains(number), "audit has {number}");
        assert!(
            !changes.to_string().contains(number),
            "change log has {number}"
        );
        assert!(!logs.contains(number), "the log has {number}");
    }
    for name in ["张明", "测试1"] {
        assert!(!audit.to_string().contains(name) && !changes.to_string().contains(name));
    }
    assert!(logs.contains("recipients import"), "the capture works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_is_masked_for_readers_and_a_number_given_as_json_is_not_echoed() {
    let central = TestCentral::start().await;
    let person = json!({
        "name": "林建国", "township": "county", "group": "county", "duty": "flood_control",
        "phone": "13812341234", "note": "夜间请打家属 13900001111",
    });
    let (status, _) =
        crate::warnings::post(&central, Role::Supervisor, "/recipients", &person).await;
    assert_eq!(status, 201);
    let note = |list: &Value| list["recipients"][0]["note"].as_str().unwrap().to_owned();
    let (_, whole) = get(&central, Role::Supervisor, "/recipients").await;
    assert_eq!(note(&whole), "夜间请打家属 13900001111");
    let (_, masked) = get(&central, Role::DutyForecaster, "/recipients").await;
    assert_eq!(note(&masked), "夜间请打家属 ***");

    let mut numeric = person.clone();
    numeric["phone"] = json!(13_812_345_678_u64);
    let (status, answer) =
        crate::warnings::post(&central, Role::Supervisor, "/recipients", &numeric).await;
    assert_eq!(status, 400, "{answer}");
    assert!(!answer.to_string().contains("13812345678"), "{answer}");
}
