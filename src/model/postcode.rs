//! UK postcodes: normalising what people type into the form the data uses.

/// Normalises a postcode to upper case with one space before the inward code
/// (`sw1a1aa`, ` SW1A 1AA ` -> `SW1A 1AA`). Returns `None` when the text is not
/// shaped like a UK postcode (outward code A9, A99, AA9, AA99, A9A or AA9A,
/// then inward code 9AA).
pub fn normalise_postcode(text: &str) -> Option<String> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
        return None;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let inward_ok = {
        let b = inward.as_bytes();
        b[0].is_ascii_digit() && b[1].is_ascii_alphabetic() && b[2].is_ascii_alphabetic()
    };
    let shape: String = outward
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                '9'
            } else if c.is_ascii_alphabetic() {
                'A'
            } else {
                '?'
            }
        })
        .collect();
    let outward_ok = matches!(
        shape.as_str(),
        "A9" | "A99" | "AA9" | "AA99" | "A9A" | "AA9A"
    );
    (inward_ok && outward_ok).then(|| format!("{outward} {inward}"))
}

#[cfg(test)]
mod tests {
    use super::normalise_postcode;

    #[test]
    fn postcodes_are_normalised() {
        assert_eq!(normalise_postcode("sw1a1aa").as_deref(), Some("SW1A 1AA"));
        assert_eq!(
            normalise_postcode(" SW1A 1AA ").as_deref(),
            Some("SW1A 1AA")
        );
        assert_eq!(normalise_postcode("m1  1ae").as_deref(), Some("M1 1AE"));
        assert_eq!(normalise_postcode("CW2 5PU").as_deref(), Some("CW2 5PU"));
        assert_eq!(normalise_postcode("ZZ1 1AA").as_deref(), Some("ZZ1 1AA"));
    }

    #[test]
    fn malformed_postcodes_are_refused() {
        for bad in [
            "",
            "SW1A",
            "12345",
            "SW1A 1A1",
            "SWIA1AAA1",
            "S-1 1AA",
            "ÅÅ1 1AA",
        ] {
            assert_eq!(normalise_postcode(bad), None, "{bad}");
        }
    }
}
