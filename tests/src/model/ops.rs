//! Runs one operation of a schedule through the use case that serves it in production: the
//! allocator and releaser on parsed order events (as allocate-numbers and release-numbers do),
//! the number-health webhook (signed, as a provider sends it) or the failover use case, refill.

use chrono::{DateTime, Duration, Utc};
use maskline::adapters::http::{webhook_reply, webhook_request};
use maskline::domain::events::OrderEvent;
use maskline::domain::Region;
use maskline::providers::ProviderKind;
use maskline::services::{AllocationError, AllocationOutcome, ReleaseError};

use maskline::ports::SharedStore;

use super::platform::Shape;
use super::schedule::{order_id, Op};
use crate::fixtures::{driver_assigned_with, order_ended_at, vn};
use crate::webhooks::{config, provider_request, PUBLIC_BASE};
use crate::world::World;

/// What one operation did, as far as the checks and the report care.
#[derive(Debug, Clone, Default)]
pub struct Done {
    /// The use case returned Ok (an order event took effect or was rightly ignored).
    pub ok: bool,
    /// The outcome's name, for the report ("Created", "PoolExhausted", …).
    pub outcome: String,
    /// Numbers newly claimed for an order (a new session or an agent change).
    pub allocated: bool,
    /// Sessions a failover moved.
    pub moved: usize,
    /// Sessions a failover left on the number (nowhere to move them).
    pub stranded: usize,
    /// An error that is not a legitimate answer (a store failure, a 5xx): a violation.
    pub unexpected: Option<String>,
}

fn india() -> Option<maskline::domain::number::DefaultCountry> {
    Some("IN".parse().expect("IN is a country"))
}

/// What one schedule's operations run with besides the world.
pub struct Deployment {
    pub shape: Shape,
    /// The store whose indexes lag, for the schedules that read them so.
    pub lagging: Option<SharedStore>,
    /// The schedule's time zero (operation times are seconds after it).
    pub start: DateTime<Utc>,
}

pub async fn run(world: &World, deployment: &Deployment, op: &Op) -> Done {
    let (shape, lagging, start) = (
        &deployment.shape,
        deployment.lagging.as_ref(),
        deployment.start,
    );
    match op {
        Op::Assign {
            order,
            customer,
            driver,
            seq,
            sent,
            at,
            ..
        } => {
            let time = start + Duration::seconds(*at);
            let body = driver_assigned_with(
                &order_id(*order),
                "blr",
                *customer,
                *driver,
                time,
                sent.detail(*seq, time),
            );
            let Ok(OrderEvent::DriverAssigned(event)) = OrderEvent::parse(&body, india()) else {
                return unexpected("a generated DriverAssigned does not parse");
            };
            let mut allocator = if shape.backups {
                world.allocator_with_backups(shape.policy)
            } else {
                world.allocator(shape.policy)
            };
            if let Some(lagging) = lagging {
                allocator.store = lagging.clone();
            }
            match allocator.assign(&event).await {
                Ok(outcome) => Done {
                    ok: true,
                    allocated: matches!(
                        outcome,
                        AllocationOutcome::Created(_) | AllocationOutcome::DriverChanged(_)
                    ),
                    outcome: variant(&format!("{outcome:?}")),
                    ..Done::default()
                },
                Err(AllocationError::PoolExhausted { .. }) => failed("PoolExhausted"),
                Err(AllocationError::Contended(_)) => failed("Contended"),
                Err(e) => unexpected(&format!("assign failed: {e}")),
            }
        }
        Op::End {
            order,
            delivered,
            at,
            ..
        } => {
            let kind = if *delivered {
                "OrderDelivered"
            } else {
                "OrderCancelled"
            };
            let body = order_ended_at(kind, &order_id(*order), start + Duration::seconds(*at));
            let Ok(OrderEvent::OrderEnded(event)) = OrderEvent::parse(&body, india()) else {
                return unexpected("a generated order end does not parse");
            };
            match world.releaser().end(&event).await {
                Ok(outcome) => Done {
                    ok: true,
                    outcome: variant(&format!("{outcome:?}")),
                    ..Done::default()
                },
                Err(ReleaseError::Contended(_)) => failed("Contended"),
                Err(e) => unexpected(&format!("release failed: {e}")),
            }
        }
        Op::Unhealthy { vn: i, webhook } => {
            if *webhook {
                health_webhook(world, *i).await
            } else {
                let mut failover = world.failover(shape.backups);
                if let Some(lagging) = lagging {
                    failover.store = lagging.clone();
                }
                match failover.mark_unhealthy(&vn(*i)).await {
                    Ok(report) => Done {
                        ok: true,
                        moved: report.moved.len(),
                        stranded: report.stranded.len(),
                        outcome: format!(
                            "moved {} stranded {}",
                            report.moved.len(),
                            report.stranded.len()
                        ),
                        ..Done::default()
                    },
                    Err(maskline::services::FailoverError::Contended(_)) => failed("Contended"),
                    Err(e) => unexpected(&format!("failover failed: {e}")),
                }
            }
        }
        Op::Healthy { vn: i } => match world.failover(shape.backups).mark_healthy(&vn(*i)).await {
            Ok(_) => Done {
                ok: true,
                outcome: "healthy".into(),
                ..Done::default()
            },
            Err(e) => unexpected(&format!("mark healthy failed: {e}")),
        },
        Op::Refill => {
            let refill = world.refill(
                crate::model::runner::refill_rules(shape),
                Vec::new(), // static numbers only: the world always adds their source
            );
            match refill.run_region(&Region::parse("blr").unwrap()).await {
                Ok(done) => {
                    let acquired: u32 = done.operators.iter().map(|o| o.acquired).sum();
                    let given_back: u32 = done.operators.iter().map(|o| o.given_back).sum();
                    let problems: Vec<&String> = done
                        .operators
                        .iter()
                        .filter_map(|o| o.problem.as_ref())
                        .collect();
                    if !problems.is_empty() {
                        return unexpected(&format!("refill reported {problems:?}"));
                    }
                    Done {
                        ok: true,
                        outcome: format!("acquired {acquired} given back {given_back}"),
                        ..Done::default()
                    }
                }
                Err(e) => unexpected(&format!("refill failed: {e}")),
            }
        }
    }
}

/// `POST /webhooks/twilio/number-health`, signed with the test Twilio token, as the use case
/// behind call-events receives it.
async fn health_webhook(world: &World, i: u32) -> Done {
    let number = vn(i).to_string();
    let report_id = uuid::Uuid::new_v4().to_string();
    let request = provider_request(
        ProviderKind::Twilio,
        "number-health",
        "HR-1",
        "+14155550100",
        &number,
        &[
            ("number", &number),
            ("status", "unhealthy"),
            ("report_id", &report_id),
        ],
    );
    let Some(request) = webhook_request(&request, Some(PUBLIC_BASE)) else {
        return unexpected("a health report the adapter cannot read");
    };
    let reply = webhook_reply(
        world
            .number_health(config())
            .report(ProviderKind::Twilio, &request)
            .await,
    );
    let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap_or_default();
    if reply.status != 200 {
        return unexpected(&format!(
            "number-health webhook answered {}: {}",
            reply.status, reply.body
        ));
    }
    let moved = body["moved"].as_u64().unwrap_or(0) as usize;
    Done {
        ok: true,
        moved,
        stranded: body["stranded"].as_u64().unwrap_or(0) as usize,
        outcome: format!("webhook moved {moved}"),
        ..Done::default()
    }
}

fn variant(debug: &str) -> String {
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string()
}

fn failed(outcome: &str) -> Done {
    Done {
        ok: false,
        outcome: outcome.into(),
        ..Done::default()
    }
}

fn unexpected(what: &str) -> Done {
    Done {
        ok: false,
        outcome: "error".into(),
        unexpected: Some(what.to_string()),
        ..Done::default()
    }
}
