//! Phone numbers: parsing never panics, and masking never shows more than prefix and last four.

use maskline::domain::number::mask;
use maskline::domain::{VirtualNumber, E164};

pub fn phone_number(data: &[u8]) {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    for country in [
        None,
        Some("IN".parse().unwrap()),
        Some("US".parse().unwrap()),
    ] {
        if let Ok(number) = E164::parse(raw, country) {
            let shown = number.masked().to_string();
            let digits: String = number
                .expose()
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            let visible: String = shown.chars().filter(char::is_ascii_digit).collect();
            assert!(visible.len() <= 6 || digits.len() <= 6, "{shown}");
        }
        let _ = VirtualNumber::parse(raw, country);
    }
    let masked = mask(raw);
    assert_eq!(masked.chars().count(), raw.chars().count());
}
