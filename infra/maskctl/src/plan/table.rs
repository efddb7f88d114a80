//! The plan as text: one table of numbers per region, one of monthly costs per policy.

use crate::columns::render;

use super::report::{Plan, PolicyFigures};

pub fn render_plan(plan: &Plan) -> String {
    let mut out = format!(
        "Plan for {} (seed {}): {} orders in the simulated day, grace {} min, \
         {:.2} {} per number a month\n\n",
        plan.workload,
        plan.seed,
        plan.orders_per_day,
        plan.grace_minutes,
        plan.number_price_per_month,
        plan.currency
    );
    let mut rows: Vec<[String; 10]> = plan
        .regions
        .iter()
        .map(|r| {
            let p = &r.policies;
            [
                r.region.clone(),
                r.orders_per_day.to_string(),
                r.peak_live_sessions.to_string(),
                r.busiest_participant_sessions.to_string(),
                r.lower_bound.to_string(),
                p.shared.numbers.to_string(),
                p.shared_with_backups.numbers.to_string(),
                p.exclusive.numbers.to_string(),
                p.single_number.numbers.to_string(),
                p.one_per_order.numbers.to_string(),
            ]
        })
        .collect();
    let t = &plan.total;
    rows.push([
        "total".into(),
        plan.orders_per_day.to_string(),
        "".into(),
        "".into(),
        "".into(),
        t.shared.numbers.to_string(),
        t.shared_with_backups.numbers.to_string(),
        t.exclusive.numbers.to_string(),
        t.single_number.numbers.to_string(),
        t.one_per_order.numbers.to_string(),
    ]);
    out.push_str(&render(
        [
            "REGION",
            "ORDERS/DAY",
            "PEAK LIVE",
            "BUSIEST",
            "LOWER BOUND",
            "SHARED",
            "+BACKUPS",
            "EXCLUSIVE",
            "SINGLE",
            "ONE PER ORDER",
        ],
        &rows,
    ));
    out.push_str(
        "SHARED, +BACKUPS, EXCLUSIVE, SINGLE (one number per order for both parties): the size an online, buy-when-it-fails replay reached for \
         this stream of orders (candidates read as the service reads them); LOWER BOUND: the \
         fewest numbers any pool could have.\n\n",
    );
    let cost_row = |name: &str, f: &PolicyFigures| {
        [
            name.to_string(),
            f.numbers.to_string(),
            f.rentals_per_month.to_string(),
            format!("{:.2}", f.monthly_cost),
        ]
    };
    let currency = format!("COST/MONTH ({})", plan.currency);
    out.push_str(&render(
        ["POLICY", "NUMBERS", "RENTED/MONTH", currency.as_str()],
        &[
            cost_row("shared (Maskline)", &t.shared),
            cost_row("shared + backups", &t.shared_with_backups),
            cost_row("exclusive", &t.exclusive),
            cost_row("single number per order", &t.single_number),
            cost_row("one purchase per order", &t.one_per_order),
        ],
    ));
    out.push('\n');
    match &plan.infra {
        Some(infra) => out.push_str(&format!(
            "DynamoDB {:.2} USD/month, Lambda {:.2} USD/month for {:.0} orders \
             (units per order from {}; list prices, us-east-1, 2025)\n",
            infra.dynamodb_per_month_usd,
            infra.lambda_per_month_usd,
            infra.orders_per_month,
            infra.units_from
        )),
        None => out.push_str(
            "DynamoDB and Lambda: no per-order units (run the benchmark to write \
             target/bench/figures.json, or pass --read-units-per-order, --write-units-per-order, \
             --lambda-invocations-per-order and --lambda-gb-seconds-per-order)\n",
        ),
    }
    let r = &plan.recommended;
    out.push_str(&format!(
        "Rent {} numbers ({}): {:.2} {} a month.\n",
        r.numbers,
        r.policy.replace('_', " "),
        r.monthly_cost,
        plan.currency
    ));
    out
}
