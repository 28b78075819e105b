//! How many mutations a promptdeck-server has processed in a space: its version, which every
//! processed mutation moves by exactly one, read as the cookie of a first pull.

pub async fn server_version(server: &str, space: &str) -> i64 {
    let body = serde_json::json!({"profileID": "check",
        "clientGroupID": format!("check-{}", fastrand::u64(..)),
        "cookie": null, "pullVersion": 1, "schemaVersion": "1"});
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{server}/api/replicache/pull?space={space}"))
        .json(&body)
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("a pull answer");
    answer["cookie"].as_i64().unwrap_or_else(|| panic!("a numeric cookie in {answer}"))
}
