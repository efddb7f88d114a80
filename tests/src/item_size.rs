//! An item's size as DynamoDB bills it, for the write units of a write DynamoDB refused (its
//! error reports none): attribute names plus values — a string its UTF-8 bytes, a number about
//! one byte per two significant digits plus one, a list or map three bytes plus one per element
//! beside its contents — and one write unit per started kilobyte, at least one.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

pub fn write_units(item: &HashMap<String, AttributeValue>) -> f64 {
    (item_bytes(item) as f64 / 1024.0).ceil().max(1.0)
}

pub fn item_bytes(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_bytes(value))
        .sum()
}

fn number_bytes(n: &str) -> usize {
    let digits = n
        .trim_start_matches(['-', '+'])
        .chars()
        .filter(char::is_ascii_digit)
        .count();
    digits.div_ceil(2) + 1
}

fn value_bytes(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_bytes(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(|n| number_bytes(n)).sum(),
        AttributeValue::Bs(set) => set.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + value_bytes(v)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_bytes(v))
                .sum::<usize>()
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(pairs: &[(&str, AttributeValue)]) -> HashMap<String, AttributeValue> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn names_and_values_add_up_and_a_small_item_is_one_unit() {
        let small = item(&[
            ("pk", AttributeValue::S("VN#+15550100".into())),
            ("version", AttributeValue::N("12345".into())),
        ]);
        // "pk" 2 + 12 bytes; "version" 7 + 4 (five digits: three bytes for two each, plus one).
        assert_eq!(item_bytes(&small), 25);
        assert_eq!(write_units(&small), 1.0);
    }

    #[test]
    fn every_started_kilobyte_is_a_unit() {
        let big = item(&[("x", AttributeValue::S("y".repeat(2048)))]);
        assert_eq!(write_units(&big), 3.0);
        let exactly_two = item(&[("x", AttributeValue::S("y".repeat(2047)))]);
        assert_eq!(write_units(&exactly_two), 2.0);
    }
}
