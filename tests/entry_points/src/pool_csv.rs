//! A pool CSV file as `maskctl pool import` reads it, bytes and all: the validator never panics,
//! and a problem it reports never repeats a number it was given (only a duplicate names the
//! number, in its canonical form, since it is one of ours).

use maskctl::pool_csv::validate;

pub fn pool_csv(data: &[u8]) {
    for country in [None, Some("IN".parse().expect("IN is a country"))] {
        let Err(errors) = validate(data, country) else {
            continue;
        };
        let text = String::from_utf8_lossy(data);
        for error in errors
            .iter()
            .filter(|e| !e.reason.contains("is already on line"))
        {
            for field in text.split([',', '\n', '\r', '"']).map(str::trim) {
                let digits = field.chars().filter(char::is_ascii_digit).count();
                assert!(
                    digits < 8 || !error.reason.contains(field),
                    "the problem repeats a number of the file: {error}"
                );
            }
        }
    }
}
