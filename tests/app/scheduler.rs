//! The release scheduler with an injected clock, and two instances sharing one database.

use crate::helpers::*;
use focusboard::db::Db;
use focusboard::scheduler::Scheduler;
use serde_json::json;
use std::sync::Arc;
use time::macros::datetime;

crate::on_both_databases!(two_instances_release_each_stage_once);

async fn two_instances_release_each_stage_once(backend: Backend) {
    let app = spawn(backend).await;
    let m = app.staff_api("mod@example.org", false).await;
    let (_, board) = m.post("/api/v1/boards", json!({"title": "B", "time_zone": "Europe/London"})).await;
    let b = board["id"].as_str().unwrap();
    for i in 0..20 {
        m.add_stage(&b, json!({"title": format!("S{i}"), "release_at": "2021-03-29T09:00"})).await;
    }
    // A second instance: its own pool and its own clock, same database.
    let other_db = Db::connect(&app.database_url, 4).unwrap();
    let other_clock = Arc::new(focusboard::clock::ManualClock::new(datetime!(2021-03-29 07:59:59 UTC)));
    let other = Scheduler::new(other_db, focusboard::service::Ctx { clock: other_clock.clone(), ..app.ctx.clone() });
    assert_eq!(other.tick().await.unwrap(), 0, "not due before 09:00 BST (08:00 UTC)...");
    other_clock.set(datetime!(2021-03-29 08:00 UTC));
    app.clock.set(datetime!(2021-03-29 08:00 UTC));
    let (a, b2) = tokio::join!(
        async {
            let mut n = 0;
            for _ in 0..5 {
                n += app.scheduler.tick().await.unwrap();
            }
            n
        },
        async {
            let mut n = 0;
            for _ in 0..5 {
                n += other.tick().await.unwrap();
            }
            n
        },
    );
    assert_eq!(a + b2, 20, "every stage released exactly once between the two instances ({a} + {b2})");
    let (_, overview) = m.overview(&b).await;
    assert!(overview["stages"].as_array().unwrap().iter().all(|s| s["phase"] == "open"));
}
