//! Who may do what, through real HTTP: every route as every role (the capability matrix, cell
//! by cell), logins, lockout, expiry and resets on the central's manual clock, account
//! administration, and the audit trail they leave.

use serde_json::{Value, json};
use wxdesk::central::{Access, Verb, routes};
use wxdesk::domain::access::{Capability, Role, allows};
use wxdesk::domain::time::{HOUR_MS, MINUTE_MS};

use crate::support::{
    DEVICE, PASSWORD, TestCentral, batch, client, client_from, client_with, minutes_from_now,
    record, username, within,
};

macro_rules! central_test {
    ($(#[$meta:meta])* async fn $name:ident() $body:block) => {
        $(#[$meta])*
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() $body
    };
}

/// A request to `verb path` that reaches its handler: path parameters and a body filled in.
fn probe(
    client: &reqwest::Client,
    central: &TestCentral,
    verb: Verb,
    path: &str,
) -> reqwest::RequestBuilder {
    let path = path
        .replace("{username}", "nobody")
        .replace("{name}", "nothing")
        .replace("{id}", "1");
    let query = match path.as_str() {
        "/observations/series" => {
            "?station=58819&element=TEM&from=2026-11-27T00:00:00Z&to=2026-11-27T01:00:00Z"
        }
        "/observations/view" => {
            "?station=58819&element=TEM&from=2026-11-27T00:00:00Z&to=2026-11-27T01:00:00Z&columns=60"
        }
        "/stream" => "?after=s1.0",
        "/imports" => "?format=csv&name=probe.csv",
        _ => "",
    };
    let url = central.url(&format!("{path}{query}"));
    match (verb, path.as_str()) {
        (Verb::Get, _) => client.get(url),
        (Verb::Post, "/imports") => client
            .post(url)
            .body("station,time,TEM\n58819,2026-11-27 17:00,11.5\n"),
        (Verb::Post, "/maintenance") => client.post(url).json(&json!({
            "station": "708301", "from": "2026-11-27T09:00:00Z", "note": "probe"
        })),
        (Verb::Post, _) => client.post(url).json(&json!({"observations": []})),
        (Verb::Patch, "/maintenance/1") => client
            .patch(url)
            .json(&json!({"to": "2026-11-27T09:30:00Z"})),
        (Verb::Patch, _) => client.patch(url).json(&json!({})),
        (Verb::Put, _) => client.put(url).json(&json!({})),
        (Verb::Delete, _) => client.delete(url),
    }
}

// Every route of the route table, as every role and as nobody: a route is refused (403) to
// exactly the roles the matrix refuses, and to nobody else; without a token only the public
// routes answer. New routes are covered the day they are added to the table.
central_test! {
    async fn every_route_as_every_role_follows_the_matrix() {
        let central = TestCentral::start().await;
        let anonymous = client();
        let mut cells = 0;
        for role in Role::ALL {
            let as_role = client_with(&central.token(role).await);
            for route in routes() {
                // Logging out would end the session the rest of the table needs; it has its
                // own test.
                if route.path == "/auth/logout" {
                    continue;
                }
                let status = probe(&as_role, &central, route.verb, route.path)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16();
                let allowed = match route.access {
                    Access::Public => true,
                    Access::SignedIn => role != Role::Device,
                    Access::Requires(capability) => allows(role, capability),
                };
                let what = format!("{role} {} {}", route.verb.as_str(), route.path);
                if allowed {
                    assert!(![401, 403].contains(&status), "{what} → {status}, should be allowed");
                } else {
                    assert_eq!(status, 403, "{what} should be refused");
                }
                cells += 1;
            }
        }
        assert!(cells >= 6 * 18, "{cells}");
        for route in routes() {
            let status = probe(&anonymous, &central, route.verb, route.path)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            if route.access == Access::Public {
                assert_ne!(status, 401, "{} {}", route.verb.as_str(), route.path);
            } else {
                assert_eq!(status, 401, "{} {} without a token", route.verb.as_str(), route.path);
            }
        }
        let public: Vec<&str> = routes()
            .iter()
            .filter(|r| r.access == Access::Public)
            .map(|r| r.path)
            .collect();
        // The WeChat callback: WeChat has no token; the handler checks its signature.
        let callback = "/channels/wechat/callback";
        assert_eq!(
            public,
            ["/health", "/openapi.json", "/version", "/auth/login", callback, callback]
        );
    }
}

// The capabilities that have endpoints now, cell by cell, with requests that do real work:
// every role × {read, ingest, manage users, read audit}.
central_test! {
    async fn each_capability_with_an_endpoint_is_granted_and_refused_per_cell() {
        let central = TestCentral::start().await;
        let record = |minute: i64| batch(&[record("58819", &minutes_from_now(-minute), json!({"TEM": 11.5}))]);
        let mut minute = 0;
        for role in Role::ALL {
            let http = client_with(&central.token(role).await);
            minute += 1;
            let cells: [(Capability, reqwest::RequestBuilder); 4] = [
                (Capability::Read, http.get(central.url("/stations"))),
                (Capability::IngestObservations, http.post(central.url("/observations")).json(&record(minute))),
                (Capability::ManageUsers, http.get(central.url("/users"))),
                (Capability::ReadAudit, http.get(central.url("/audit?limit=5"))),
            ];
            for (capability, request) in cells {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap();
                if allows(role, capability) {
                    assert_eq!(status, 200, "{role} × {capability}: {body}");
                } else {
                    assert_eq!(status, 403, "{role} × {capability}: {body}");
                    assert_eq!(body["error"], "forbidden");
                    assert!(body["message"].as_str().unwrap().contains(capability.code()), "{body}");
                }
            }
        }
        // Refusals of signed-in callers are in the audit log, with who, what and from where.
        let admin = client_with(&central.token(Role::Administrator).await);
        let page: Value = admin
            .get(central.url("/audit?action=access_denied&limit=100"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let denied = page["entries"].as_array().unwrap();
        let expected: usize = Role::ALL
            .iter()
            .map(|&role| {
                [Capability::Read, Capability::IngestObservations, Capability::ManageUsers, Capability::ReadAudit]
                    .iter()
                    .filter(|&&c| !allows(role, c))
                    .count()
            })
            .sum();
        assert_eq!(denied.len(), expected, "{page}");
        let technician = denied
            .iter()
            .find(|e| e["actor"] == "user:technician" && e["target"] == "GET /api/v1/users")
            .expect("the technician's attempt at the user list");
        assert_eq!(technician["workstation"], "test-desk");
        assert_eq!(technician["outcome"], "denied");
        assert!(denied.iter().any(|e| e["actor"] == format!("device:{DEVICE}")));
    }
}

central_test! {
    async fn repeated_failures_lock_an_account_until_the_lock_runs_out() {
        let central = TestCentral::start().await;
        let http = client();
        central.token(Role::DutyForecaster).await;
        let user = username(Role::DutyForecaster);
        let (_, unknown) = central.login(&http, "nobody", "wrong password").await;
        for attempt in 1..=5 {
            let (status, body) = central.login(&http, &user, "wrong password").await;
            assert_eq!(status, 401, "attempt {attempt}");
            assert_eq!(body, unknown, "a known account answers as an unknown one, attempt {attempt}");
        }
        assert!(unknown["message"].as_str().unwrap().starts_with("wrong user name or password"));

        // Locked: even the right password is not judged, and the answer is the same.
        let judged = central.hash_stats().judged;
        let (status, body) = central.login(&http, &user, PASSWORD).await;
        assert_eq!((status, &body), (401, &unknown));
        central.clock.advance(15 * MINUTE_MS - 1);
        assert_eq!(central.login(&http, &user, PASSWORD).await.0, 401, "a millisecond early");
        assert_eq!(central.hash_stats().judged, judged, "nothing judged while locked");
        central.clock.advance(1);
        let (status, body) = central.login(&http, &user, PASSWORD).await;
        assert_eq!(status, 200, "{body}");

        // The audit log tells the story: the lock, not each guess (those are summed per source).
        let admin = client_with(&central.token(Role::Administrator).await);
        let page: Value = admin
            .get(central.url(&format!("/audit?action=login&actor={user}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let outcomes: Vec<&str> = page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .map(|e| e["outcome"].as_str().unwrap())
            .collect();
        assert_eq!(outcomes, ["ok", "denied", "ok"], "{page}");
        let detail: Value =
            serde_json::from_str(page["entries"][1]["details"].as_str().unwrap()).unwrap();
        assert_eq!(detail["code"], "locked_after_failures", "{page}");
        assert_eq!(detail["failures"], 5, "{page}");
    }
}

central_test! {
    async fn fifty_concurrent_guesses_are_judged_at_most_five_times() {
        let central = TestCentral::start().await;
        central.token(Role::Technician).await;
        let user = username(Role::Technician);
        let before = central.hash_stats();
        // Ten addresses, five guesses each (under any per-address limit); the right password
        // is the eleventh guess sent.
        let guesses = (0..50u8).map(|i| {
            let http = client_from([127, 0, 0, 2 + i / 5]);
            let password = if i == 10 { PASSWORD.to_owned() } else { format!("guess {i}") };
            let (central, user) = (&central, &user);
            async move { central.login(&http, user, &password).await }
        });
        let answers = within("fifty guesses", futures_util::future::join_all(guesses)).await;
        let after = central.hash_stats();
        assert_eq!(after.verifications - before.verifications, 50, "one hash each");
        assert!(after.judged - before.judged <= 5, "judged {}", after.judged - before.judged);
        let admitted = answers.iter().filter(|(status, _)| *status == 200).count();
        assert!(admitted <= 1);
        assert!(answers.iter().all(|(status, _)| [200, 401, 403].contains(status)), "{answers:?}");
        if admitted == 0 {
            // The account is locked now: the right password waits like any guess.
            let (status, _) = central.login(&client_from([127, 0, 0, 20]), &user, PASSWORD).await;
            assert_eq!(status, 401);
        }

        // All wrong: exactly five judged, then locked for everyone.
        let user = username(Role::Leader);
        central.token(Role::Leader).await;
        let before = central.hash_stats().judged;
        let guesses = (0..50u8).map(|i| {
            let http = client_from([127, 0, 0, 30 + i / 5]);
            let (central, user) = (&central, &user);
            async move { central.login(&http, user, &format!("guess {i}")).await.0 }
        });
        let statuses = within("fifty wrong guesses", futures_util::future::join_all(guesses)).await;
        assert!(statuses.iter().all(|&s| s == 401), "{statuses:?}");
        assert_eq!(central.hash_stats().judged - before, 5);
        let (status, _) = central.login(&client_from([127, 0, 0, 99]), &user, PASSWORD).await;
        assert_eq!(status, 401, "locked");
    }
}

central_test! {
    async fn unknown_locked_and_wrong_look_alike_and_each_costs_one_hash() {
        let central = TestCentral::start().await;
        central.token(Role::Supervisor).await;
        let known = username(Role::Supervisor);
        let locked_user = username(Role::Leader);
        central.token(Role::Leader).await;
        let lockers = client_from([127, 0, 0, 50]);
        for _ in 0..5 {
            central.login(&lockers, &locked_user, "wrong password").await;
        }
        // (name, password, judged against the account's own hash)
        let cases = [
            ("nobody", "wrong password", 0),
            ("Not A Name!", "wrong password", 0),
            (known.as_str(), "wrong password", 1),
            (locked_user.as_str(), "wrong password", 0),
            (locked_user.as_str(), PASSWORD, 0),
        ];
        let mut answers = Vec::new();
        for (i, (name, password, judged)) in cases.into_iter().enumerate() {
            let http = client_from([127, 0, 0, 60 + u8::try_from(i).unwrap()]);
            let before = central.hash_stats();
            answers.push(central.login(&http, name, password).await);
            let after = central.hash_stats();
            assert_eq!(after.verifications - before.verifications, 1, "{name}: one hash");
            assert_eq!(after.judged - before.judged, judged, "{name}");
        }
        for answer in &answers {
            assert_eq!(answer, &answers[0], "every refusal is the same");
        }
        assert_eq!(answers[0].0, 401);
    }
}

central_test! {
    async fn common_passwords_and_names_are_refused_with_a_code() {
        let central = TestCentral::start().await;
        let http = client_with(&central.token(Role::DutyForecaster).await);
        let name = username(Role::DutyForecaster);
        let cases = [
            ("12345678", "password_common"),
            ("Qingliu2026", "password_like_bureau"),
            (&*format!("{name}2026"), "password_like_username"),
            ("short", "password_too_short"),
        ];
        for (new, code) in cases {
            let response = http
                .post(central.url("/auth/password"))
                .json(&json!({"current_password": PASSWORD, "new_password": new}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 400, "{new}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"], code, "{new}: {body}");
        }
    }
}

central_test! {
    async fn sessions_expire_after_a_duty_shift() {
        let central = TestCentral::start().await;
        let token = central.token(Role::Leader).await;
        let http = client_with(&token);
        let session: Value = http.get(central.url("/auth/session")).send().await.unwrap().json().await.unwrap();
        assert_eq!(session["user"]["role"], "leader");
        assert_eq!(session["capabilities"], json!(["read", "read_audit"]));
        assert_eq!(session["expires_at"], "2026-11-27T22:00:00Z", "12 hours");
        central.clock.advance(12 * HOUR_MS - 1);
        assert_eq!(http.get(central.url("/stations")).send().await.unwrap().status(), 200);
        central.clock.advance(1);
        let response = http.get(central.url("/stations")).send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["www-authenticate"], "Bearer realm=\"wxdesk\"");
        let body: Value = response.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains("log in again"), "{body}");
    }
}

central_test! {
    async fn a_reset_ends_sessions_unlocks_and_forces_a_new_password() {
        let central = TestCentral::start().await;
        let http = client();
        let old_session = client_with(&central.token(Role::Technician).await);
        let user = username(Role::Technician);
        for _ in 0..5 {
            central.login(&http, &user, "wrong password").await;
        }
        assert_eq!(central.login(&http, &user, PASSWORD).await.1["error"], "invalid_credentials", "locked");

        let admin = client_with(&central.token(Role::Administrator).await);
        let reset: Value = admin
            .post(central.url(&format!("/users/{user}/password")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let otp = reset["one_time_password"].as_str().unwrap().to_owned();
        assert_eq!(reset["user"]["must_change_password"], true);
        assert_eq!(reset["user"]["locked_until"], Value::Null, "the reset lifts the lock");

        assert_eq!(old_session.get(central.url("/stations")).send().await.unwrap().status(), 401);
        assert_eq!(central.login(&http, &user, PASSWORD).await.0, 401, "the old password is gone");
        let (status, body) = central.login(&http, &user, &otp).await;
        assert_eq!(status, 200, "{body}");
        let fresh = client_with(body["token"].as_str().unwrap());
        let pending: Value = fresh.get(central.url("/stations")).send().await.unwrap().json().await.unwrap();
        assert_eq!(pending["error"], "password_change_required");
        let change = |current: &str, new: &str| {
            fresh
                .post(central.url("/auth/password"))
                .json(&json!({"current_password": current, "new_password": new}))
                .send()
        };
        let weak: Value = change(&otp, "short").await.unwrap().json().await.unwrap();
        assert!(weak["message"].as_str().unwrap().contains("at least 8"), "{weak}");
        let same: Value = change(&otp, &otp).await.unwrap().json().await.unwrap();
        assert!(same["message"].as_str().unwrap().contains("differ"), "{same}");
        assert_eq!(change(&otp, "a new password 1").await.unwrap().status(), 204);
        assert_eq!(fresh.get(central.url("/stations")).send().await.unwrap().status(), 200, "the same session goes on");
        assert_eq!(central.login(&http, &user, "a new password 1").await.0, 200);
    }
}

central_test! {
    async fn administrators_manage_accounts_but_never_lose_the_last_one() {
        let central = TestCentral::start().await;
        let admin = client_with(&central.token(Role::Administrator).await);
        let create = |body: Value| admin.post(central.url("/users")).json(&body).send();
        let created = create(json!({"username": "Zhang.Wei", "display_name": "张伟", "role": "duty_forecaster"}))
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        let created: Value = created.json().await.unwrap();
        assert_eq!(created["user"]["username"], "zhang.wei", "names fold to lower case");
        let otp = created["one_time_password"].as_str().unwrap().to_owned();
        assert_eq!(otp.len(), 19);
        for (body, status, says) in [
            (json!({"username": "zhang.wei", "display_name": "x", "role": "leader"}), 409, "already exists"),
            (json!({"username": "x", "display_name": "x", "role": "leader"}), 400, "2–32"),
            (json!({"username": "sim2", "display_name": "x", "role": "device"}), 400, "device keys"),
            (json!({"username": "ok.name", "display_name": "  ", "role": "leader"}), 400, "display_name"),
            (json!({"username": "ok.name", "display_name": "x", "role": "root"}), 400, "unknown variant"),
            (json!({"username": " ok.name", "display_name": "x", "role": "leader"}), 400, "2–32"),
            (json!({"username": "ok.name", "display_name": "张".repeat(65), "role": "leader"}), 400, "1–64"),
        ] {
            let response = create(body.clone()).await.unwrap();
            assert_eq!(response.status(), status, "{body}");
            let answer: Value = response.json().await.unwrap();
            assert!(answer["message"].as_str().unwrap().contains(says), "{answer}");
        }

        // A role change applies to open sessions at once.
        let zhang = client_with(&central.first_login(&client(), "zhang.wei", &otp).await);
        assert_eq!(zhang.get(central.url("/audit")).send().await.unwrap().status(), 403);
        let patch = |user: &str, body: Value| admin.patch(central.url(&format!("/users/{user}"))).json(&body).send();
        let changed: Value = patch("zhang.wei", json!({"role": "supervisor", "display_name": "张伟（审核）"}))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!((changed["role"].as_str(), changed["display_name"].as_str()), (Some("supervisor"), Some("张伟（审核）")));
        assert_eq!(zhang.get(central.url("/audit")).send().await.unwrap().status(), 200);

        // Disabling ends the sessions and stops logins; enabling lets the user back in.
        assert_eq!(patch("zhang.wei", json!({"disabled": true})).await.unwrap().status(), 200);
        assert_eq!(zhang.get(central.url("/stations")).send().await.unwrap().status(), 401);
        let (status, body) = central.login(&client(), "zhang.wei", PASSWORD).await;
        assert_eq!((status, body["error"].as_str()), (403, Some("account_disabled")));
        assert_eq!(patch("zhang.wei", json!({"disabled": false})).await.unwrap().status(), 200);
        assert_eq!(central.login(&client(), "zhang.wei", PASSWORD).await.0, 200);

        // The last enabled administrator can be neither demoted nor disabled.
        for body in [json!({"role": "leader"}), json!({"disabled": true})] {
            let response = patch("admin", body).await.unwrap();
            assert_eq!(response.status(), 409);
            let answer: Value = response.json().await.unwrap();
            assert!(answer["message"].as_str().unwrap().contains("last enabled administrator"), "{answer}");
        }
        assert_eq!(patch("nobody", json!({"disabled": true})).await.unwrap().status(), 404);

        let users: Value = admin.get(central.url("/users")).send().await.unwrap().json().await.unwrap();
        let names: Vec<&str> = users["users"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
        assert_eq!(names, ["admin", "zhang.wei"]);

        // Each change left an entry naming the administrator, the target and the particulars.
        let page: Value = admin.get(central.url("/audit?actor=user:admin")).send().await.unwrap().json().await.unwrap();
        let actions: Vec<(&str, &str)> = page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .map(|e| (e["action"].as_str().unwrap(), e["details"].as_str().unwrap()))
            .filter(|(action, _)| *action != "login" && *action != "password_changed")
            .collect();
        assert_eq!(
            actions,
            [
                ("user_created", r#"{"code":"user_created","display_name":"张伟","role":"duty_forecaster"}"#),
                ("role_changed", r#"{"code":"role_changed","before":"duty_forecaster","after":"supervisor"}"#),
                ("user_renamed", r#"{"code":"renamed","before":"张伟","after":"张伟（审核）"}"#),
                ("user_disabled", r#"{"code":"sessions_ended"}"#),
                ("user_enabled", ""),
            ]
        );
    }
}

central_test! {
    async fn device_keys_only_ingest_and_can_be_revoked() {
        let central = TestCentral::start().await;
        let admin = client_with(&central.token(Role::Administrator).await);
        let issued: Value = admin
            .post(central.url("/device-keys"))
            .json(&json!({"name": "58819-logger"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let key = issued["key"].as_str().unwrap().to_owned();
        assert!(key.starts_with("wxd_"), "{issued}");
        let device = client_with(&key);
        let body = batch(&[record("58819", &minutes_from_now(-1), json!({"TEM": 3.5}))]);
        assert_eq!(device.post(central.url("/observations")).json(&body).send().await.unwrap().status(), 200);
        assert_eq!(device.get(central.url("/stations")).send().await.unwrap().status(), 403);
        assert_eq!(device.get(central.url("/auth/session")).send().await.unwrap().status(), 403);
        let keys: Value = admin.get(central.url("/device-keys")).send().await.unwrap().json().await.unwrap();
        let names: Vec<&str> = keys["device_keys"].as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["58819-logger", DEVICE]);
        assert!(!keys.to_string().contains(&key), "keys are never shown again");
        assert_eq!(admin.delete(central.url("/device-keys/58819-logger")).send().await.unwrap().status(), 204);
        assert_eq!(device.post(central.url("/observations")).json(&body).send().await.unwrap().status(), 401);
        assert_eq!(admin.delete(central.url("/device-keys/58819-logger")).send().await.unwrap().status(), 404);
    }
}

central_test! {
    async fn logout_ends_the_session_and_is_audited() {
        let central = TestCentral::start().await;
        let http = client_with(&central.token(Role::Supervisor).await);
        assert_eq!(http.post(central.url("/auth/logout")).send().await.unwrap().status(), 204);
        assert_eq!(http.get(central.url("/stations")).send().await.unwrap().status(), 401);
        let admin = client_with(&central.token(Role::Administrator).await);
        let page: Value = admin.get(central.url("/audit?action=logout")).send().await.unwrap().json().await.unwrap();
        assert_eq!(page["entries"][0]["actor"], "user:supervisor");
    }
}

central_test! {
    async fn the_audit_log_filters_and_pages_newest_first() {
        let central = TestCentral::start().await;
        let admin = client_with(&central.token(Role::Administrator).await);
        for role in [Role::DutyForecaster, Role::Technician, Role::Leader] {
            central.token(role).await;
            central.clock.advance(MINUTE_MS);
        }
        let get = |query: &str| {
            let admin = admin.clone();
            let url = central.url(&format!("/audit{query}"));
            async move { admin.get(url).send().await.unwrap().json::<Value>().await.unwrap() }
        };
        let all = get("?limit=1000").await;
        let seqs: Vec<u64> = all["entries"].as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect();
        assert!(seqs.windows(2).all(|w| w[0] == w[1] + 1), "newest first, gap-free: {seqs:?}");
        assert_eq!(*seqs.last().unwrap(), 1);
        // A new database's log is sealed from its first entry on; the first administrator next.
        let oldest: Vec<&Value> = all["entries"].as_array().unwrap().iter().rev().take(2).collect();
        assert_eq!(oldest[0]["action"], "audit_key_introduced");
        assert_eq!(oldest[1]["action"], "first_admin_created");

        // Pages of 4 cover the log exactly once.
        let mut paged = Vec::new();
        let mut query = "?limit=4".to_owned();
        loop {
            let page = get(&query).await;
            paged.extend(page["entries"].as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()));
            match page["next_before"].as_u64() {
                Some(before) => query = format!("?limit=4&before={before}"),
                None => break,
            }
        }
        assert_eq!(paged, seqs);

        let created = get("?action=user_created").await;
        assert_eq!(created["entries"].as_array().unwrap().len(), 3);
        let window = get("?from=2026-11-27T10:00:30Z&to=2026-11-27T10:01:30Z").await;
        let targets: Vec<&str> = window["entries"].as_array().unwrap().iter().map(|e| e["target"].as_str().unwrap()).collect();
        assert!(targets.contains(&"user:technician") && !targets.contains(&"user:duty-forecaster"), "{targets:?}");
        let bad = get("?from=yesterday").await;
        assert_eq!((&bad["error"], &bad["params"]["name"]), (&json!("invalid_time"), &json!("from")));
    }
}

/// What a login costs: argon2id hashing and verification, and a whole login over HTTP on
/// 127.0.0.1. `cargo test --release --test wxdesk access::login_timing -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check; run by hand"]
async fn login_timing() {
    use std::time::Instant;
    use wxdesk::central::auth::{hash_password, verify_password};
    use wxdesk::domain::access::Secret;
    const N: u32 = 10;
    let password = Secret::new(PASSWORD);
    let started = Instant::now();
    let mut hash = String::new();
    for _ in 0..N {
        hash = hash_password(&password).unwrap();
    }
    let hashing = started.elapsed() / N;
    let started = Instant::now();
    for _ in 0..N {
        assert!(verify_password(&password, &hash));
    }
    let verifying = started.elapsed() / N;
    let central = TestCentral::start().await;
    central.token(Role::DutyForecaster).await;
    let http = client();
    let started = Instant::now();
    for _ in 0..N {
        assert_eq!(
            central.login(&http, "duty-forecaster", PASSWORD).await.0,
            200
        );
    }
    let login = started.elapsed() / N;
    let token = client_with(&central.token(Role::DutyForecaster).await);
    let started = Instant::now();
    for _ in 0..N {
        assert_eq!(
            token
                .get(central.url("/auth/session"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    let guarded = started.elapsed() / N;
    println!(
        "argon2id hash {hashing:?}, verify {verifying:?}; login over HTTP {login:?}; \
         a guarded GET /auth/session {guarded:?}"
    );
}

// What a caller may claim as an observation's source (issue 8, item 5): a station logger's
// key sends live and backfilled only; a key issued for an archive loader may also import
// (label `imported`, post files); `manual` is for people with the capability. A batch with a
// claim beyond the caller's is refused whole, with a code, stores nothing, and is audited.
central_test! {
    async fn what_a_device_may_claim_is_fixed_when_its_key_is_issued() {
        let central = TestCentral::start().await;
        let admin = client_with(&central.token(Role::Administrator).await);
        let issued: Value = admin
            .post(central.url("/device-keys"))
            .json(&json!({"name": "archive-loader", "may_import": true}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let loader = client_with(issued["key"].as_str().unwrap());
        let logger = client_with(&central.token(Role::Device).await);
        let technician = client_with(&central.token(Role::Technician).await);
        // (caller, claimed source, allowed)
        let cases = [
            ("logger", "live", true),
            ("logger", "backfilled", true),
            ("logger", "imported", false),
            ("logger", "manual", false),
            ("loader", "imported", true),
            ("loader", "manual", false),
            ("technician", "manual", true),
            ("technician", "imported", true),
        ];
        let mut refused = Vec::new();
        for (minute, (who, source, allowed)) in (1..).zip(cases) {
            let http = match who {
                "logger" => &logger,
                "loader" => &loader,
                _ => &technician,
            };
            let mut one = record("58819", &minutes_from_now(-minute), json!({"TEM": 7.5}));
            one["source"] = json!(source);
            let response = http.post(central.url("/observations")).json(&batch(&[one.clone()])).send().await.unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            if allowed {
                assert_eq!((status, body["stored"].as_u64()), (200, Some(1)), "{who} {source}: {body}");
                continue;
            }
            assert_eq!(status, 403, "{who} {source}: {body}");
            assert_eq!(body["error"], "source_not_permitted", "{body}");
            assert!(body["message"].as_str().unwrap().contains(source), "{body}");
            refused.push((who, source));
            // Nothing was stored: the same record, claimed as live, is new.
            one["source"] = json!("live");
            let again = batch(&[one]);
            let stored: Value = logger.post(central.url("/observations")).json(&again).send().await.unwrap().json().await.unwrap();
            assert_eq!(stored["stored"], 1, "{who} {source}: {stored}");
        }
        // Files are imports too.
        let csv = "station,time,TEM\n58819,2026-11-27 17:00,11.5\n";
        let import = |http: &reqwest::Client| http.post(central.url("/imports?format=csv&name=a.csv")).body(csv).send();
        assert_eq!(import(&logger).await.unwrap().status(), 403);
        assert!(import(&loader).await.unwrap().status().is_success());
        // Each refused claim is in the audit log, as data: what was claimed.
        let page: Value = admin.get(central.url("/audit?action=access_denied&limit=100")).send().await.unwrap().json().await.unwrap();
        let claims: Vec<String> = page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| {
                let detail: Value = serde_json::from_str(e["details"].as_str()?).ok()?;
                (detail["code"] == "source_not_permitted").then(|| format!("{} {}", e["actor"].as_str().unwrap(), detail["source"].as_str().unwrap()))
            })
            .collect();
        assert_eq!(claims.len(), refused.len(), "{claims:?}");
        assert!(claims.contains(&format!("device:{DEVICE} manual")), "{claims:?}");
        assert!(claims.contains(&"device:archive-loader manual".to_owned()), "{claims:?}");
        let keys: Value = admin.get(central.url("/device-keys")).send().await.unwrap().json().await.unwrap();
        let may_import: Vec<(String, bool)> = keys["device_keys"].as_array().unwrap().iter()
            .map(|k| (k["name"].as_str().unwrap().to_owned(), k["may_import"].as_bool().unwrap()))
            .collect();
        assert_eq!(may_import, [("archive-loader".to_owned(), true), (DEVICE.to_owned(), false)]);
    }
}
