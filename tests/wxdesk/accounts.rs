//! Accounts over HTTP against a central by its address (`http://127.0.0.1:port`): the first
//! login, which chooses the password, and a user an administrator creates. The tests'
//! centrals and, through `#[path]`, the benches log in through these.

use serde_json::{Value, json};

/// The password every test account chooses at its first login.
pub const PASSWORD: &str = "qingliu-duty-2026";

/// POSTs `body` to `path` under `/api/v1` of `base`, as `token` if any: status and JSON answer.
async fn post(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let mut request = http.post(format!("{base}/api/v1{path}")).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the central answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Logs `user` in with its one-time password and chooses [`PASSWORD`]; the session token.
pub async fn first_login(http: &reqwest::Client, base: &str, user: &str, one_time: &str) -> String {
    let login = json!({"username": user, "password": one_time, "workstation": "test-desk"});
    let (status, body) = post(http, base, "/auth/login", None, &login).await;
    assert_eq!(status, 200, "login of {user}: {body}");
    let token = body["token"].as_str().expect("a token").to_owned();
    let change = json!({"current_password": one_time, "new_password": PASSWORD});
    let (status, body) = post(http, base, "/auth/password", Some(&token), &change).await;
    assert_eq!(status, 204, "password change of {user}: {body}");
    token
}

/// Administrator `admin` creates `name` as `display_name` with `role` (its code), who logs in
/// for the first time; the new user's session token.
pub async fn created_user(
    http: &reqwest::Client,
    base: &str,
    admin: &str,
    (name, display_name, role): (&str, &str, &str),
) -> String {
    let user = json!({"username": name, "display_name": display_name, "role": role});
    let (status, created) = post(http, base, "/users", Some(admin), &user).await;
    assert_eq!(status, 201, "creating {name}: {created}");
    let one_time = created["one_time_password"]
        .as_str()
        .expect("a one-time password");
    first_login(http, base, name, one_time).await
}
