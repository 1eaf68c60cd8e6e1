//! Names and addresses in the case people write them. NHS ODS publishes
//! "BOOTS" and "UNIT 57, PLATFORM 1, PADDINGTON STATION, LONDON, W2 1BA",
//! which is hard to read and which screen readers may spell out. The stored
//! value stays as published; this gives the display form.
//!
//! Only text with no lower-case letters is changed (mixed case is taken to
//! be as its owner writes it). Then, word by word:
//! - words with a digit stay as they are ("W2", "1BA", "57A"), but ordinals
//!   read "1st", "22nd";
//! - initialisms stay in capitals: words with no vowel ("NHS", "GP", "PCN",
//!   "HMP") and a list of those with one ("UK", "CIC", "YMCA", "HIV");
//! - a list of short forms reads as people write them ("St", "Dr", "Rd",
//!   "Ltd"), and is not expanded;
//! - "Mc" names ("McDonald"), a list of "Mac" names ("MacDonald", not
//!   "Machine" or "Macclesfield"), "O'" names ("O'Neill");
//! - hyphenated words take each part ("Smith-Jones"), with the small words
//!   of place names in lower case ("Ashton-under-Lyne");
//! - small words ("and", "of", "the") are lower case except first.

use std::borrow::Cow;

/// Initialisms with a vowel that stay in capitals.
const INITIALISMS: &[&str] = &[
    "UK", "CIC", "YMCA", "YWCA", "HIV", "AIDS", "LGBT", "LGBTQ", "LGBTQIA", "ADHD", "ESOL",
    "CAMHS", "UCL", "UCLH", "KCL", "AFC", "CE", "ICB", "ICS", "PO", "DIY", "ICT", "BUPA", "NHSE",
    "A&E", "SEND", "ASD", "OT", "EU", "UKHSA", "CQC", "GMC", "RNIB", "RNID", "NSPCC", "RSPCA",
    "TV", "RAF", "USA", "ID", "EE", "IAPT", "GOSH",
];

/// Initialisms that are also ordinary words, kept in capitals only in names
/// (not in addresses).
const NAME_ONLY: &[&str] = &["SEND"];

/// Short forms without a vowel written with a capital and lower case.
const SHORT_FORMS: &[&str] = &[
    "ST", "DR", "RD", "LTD", "CTR", "CNTR", "HLTH", "HTH", "PK", "CT", "CRT", "DRS", "BLDG", "GRP",
    "FLR", "SCH", "STH", "NTH", "PL", "MR", "MRS", "MS", "SQ", "GR", "GDNS", "GRN", "HSP", "CWM",
    "LN", "CL", "WY", "BLVD", "JCT", "NR", "MT", "BRK", "FWY", "HWY",
];

/// Words in lower case inside a name or address (not first).
const SMALL_WORDS: &[&str] = &[
    "and", "of", "the", "at", "for", "in", "on", "upon", "by", "to", "with", "de", "la", "le",
    "under", "en", "or",
];

/// Mac names with a capital after Mac.
const MAC_NAMES: &[&str] = &[
    "MACDONALD",
    "MACKENZIE",
    "MACLEOD",
    "MACGREGOR",
    "MACINTYRE",
    "MACKAY",
    "MACLEAN",
    "MACFARLANE",
    "MACAULAY",
    "MACBRIDE",
    "MACDOUGALL",
    "MACKINNON",
    "MACPHERSON",
    "MACRAE",
    "MACNEIL",
    "MACKINTOSH",
    "MACINTOSH",
    "MACARTHUR",
    "MACLEAN",
    "MACLAREN",
    "MACGUIRE",
    "MACQUEEN",
    "MACEWAN",
    "MACNAB",
    "MACKIE",
];

/// The display form of a name (`address` false) or an address.
pub fn readable(text: &str, address: bool) -> Cow<'_, str> {
    if text.chars().any(char::is_lowercase) || !text.chars().any(char::is_uppercase) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut first = true;
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String, first: &mut bool| {
        if !word.is_empty() {
            out.push_str(&word_case(word, *first, address));
            // After a house number, a word starts afresh: "35 The Parade".
            *first = word.chars().any(|c| c.is_ascii_digit());
            word.clear();
        }
    };
    for c in text.chars() {
        if c.is_whitespace() || matches!(c, ',' | '(' | ')' | '/' | ';' | ':' | '"') {
            flush(&mut word, &mut out, &mut first);
            out.push(c);
            // A new clause after a comma or bracket starts with a capital.
            if matches!(c, ',' | '(' | '/' | ';' | ':') {
                first = true;
            }
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out, &mut first);
    Cow::Owned(out)
}

fn has_vowel(word: &str) -> bool {
    word.chars()
        .any(|c| matches!(c, 'A' | 'E' | 'I' | 'O' | 'U' | 'Y'))
}

/// One whitespace-free word.
fn word_case(word: &str, first: bool, address: bool) -> String {
    // Trailing full stops and such are kept as they are.
    let core = word.trim_end_matches(['.', '!', '?']);
    let tail = &word[core.len()..];
    if core.contains('-') && core.len() > 1 {
        let parts: Vec<&str> = core.split('-').collect();
        let joined: Vec<String> = parts
            .iter()
            .enumerate()
            .map(|(k, p)| {
                if p.is_empty() {
                    String::new()
                } else {
                    // Inner small words of place names: Ashton-under-Lyne.
                    let inner = k > 0 && k + 1 < parts.len();
                    part_case(p, first && k == 0, address, inner)
                }
            })
            .collect();
        return format!("{}{tail}", joined.join("-"));
    }
    format!("{}{tail}", part_case(core, first, address, !first))
}

fn part_case(word: &str, first: bool, address: bool, small_allowed: bool) -> String {
    if word.is_empty() {
        return String::new();
    }
    if word.chars().any(|c| c.is_ascii_digit()) {
        return ordinal(word).unwrap_or_else(|| word.to_string());
    }
    if !word.chars().any(char::is_alphabetic) {
        return word.to_string();
    }
    let bare = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '&' && c != '+');
    if SHORT_FORMS.contains(&bare) {
        return capitalise(word);
    }
    if INITIALISMS.contains(&bare) && !(address && NAME_ONLY.contains(&bare)) {
        return word.to_string();
    }
    if !has_vowel(bare) && bare.chars().count() >= 2 {
        return word.to_string();
    }
    let lower = word.to_lowercase();
    if small_allowed && !first && SMALL_WORDS.contains(&lower.as_str()) {
        return lower;
    }
    if let Some(rest) = word.strip_prefix("MC")
        && rest.chars().count() >= 2
        && rest.chars().all(char::is_alphabetic)
    {
        return format!("Mc{}", capitalise(rest));
    }
    if MAC_NAMES.contains(&word) {
        return format!("Mac{}", capitalise(&word[3..]));
    }
    if let Some((head, rest)) = word.split_once(['\'', '’']) {
        let mark = if word.contains('’') { "’" } else { "'" };
        // O'Neill, D'Arcy; but Children's, St. Mary's.
        if head.chars().count() == 1 && rest.chars().count() >= 2 {
            return format!("{}{mark}{}", capitalise(head), capitalise(rest));
        }
        return format!("{}{mark}{}", capitalise(head), rest.to_lowercase());
    }
    capitalise(word)
}

/// "1ST" -> "1st", "22ND" -> "22nd"; other words with digits: `None`.
fn ordinal(word: &str) -> Option<String> {
    let digits: String = word.chars().take_while(char::is_ascii_digit).collect();
    let suffix = &word[digits.len()..];
    (!digits.is_empty() && matches!(suffix, "ST" | "ND" | "RD" | "TH"))
        .then(|| format!("{digits}{}", suffix.to_lowercase()))
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(f) => f
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::readable;

    fn name(text: &str) -> String {
        readable(text, false).into_owned()
    }

    fn address(text: &str) -> String {
        readable(text, true).into_owned()
    }

    #[test]
    fn shouting_becomes_readable() {
        assert_eq!(name("BOOTS"), "Boots");
        assert_eq!(
            address("UNIT 57, PLATFORM 1, PADDINGTON STATION, LONDON, W2 1BA"),
            "Unit 57, Platform 1, Paddington Station, London, W2 1BA"
        );
        assert_eq!(
            name("THE CHURCH STREET SURGERY"),
            "The Church Street Surgery"
        );
        assert_eq!(name("PHARMACY AT THE STATION"), "Pharmacy at the Station");
        assert_eq!(
            address("35 THE PARADE, CLAYGATE"),
            "35 The Parade, Claygate"
        );
    }

    #[test]
    fn initialisms_and_postcodes_stay() {
        assert_eq!(name("NHS GP WALK-IN CENTRE"), "NHS GP Walk-In Centre");
        assert_eq!(name("BBC MEDICAL PRACTICE"), "BBC Medical Practice");
        assert_eq!(name("BOOTS UK LIMITED"), "Boots UK Limited");
        assert_eq!(name("YMCA HEALTH CIC"), "YMCA Health CIC");
        assert_eq!(name("HMP WORMWOOD SCRUBS"), "HMP Wormwood Scrubs");
        assert_eq!(name("CENTRAL PCN HUB"), "Central PCN Hub");
        assert_eq!(
            address("1 HIGH ST, LONDON NW10 4LX"),
            "1 High St, London NW10 4LX"
        );
        assert_eq!(address("FLAT 12B, 2ND FLOOR"), "Flat 12B, 2nd Floor");
        assert_eq!(address("BLOCK A, ST MARY'S"), "Block A, St Mary's");
        assert_eq!(name("AGE UK WESTMINSTER"), "Age UK Westminster");
    }

    #[test]
    fn short_forms_are_left_as_written() {
        assert_eq!(
            name("ST JOHN'S WOOD MEDICAL PRACTICE"),
            "St John's Wood Medical Practice"
        );
        assert_eq!(name("DR PATEL & PARTNERS"), "Dr Patel & Partners");
        assert_eq!(address("12 STATION RD."), "12 Station Rd.");
        assert_eq!(name("LLOYDS PHARMACY LTD"), "Lloyds Pharmacy Ltd");
        assert_eq!(name("ST. MARY'S HEALTH CTR"), "St. Mary's Health Ctr");
    }

    #[test]
    fn mc_mac_and_o_names() {
        assert_eq!(name("MCDONALD PHARMACY"), "McDonald Pharmacy");
        assert_eq!(name("MACDONALD & MACKENZIE"), "MacDonald & MacKenzie");
        assert_eq!(name("MACHINE HOUSE"), "Machine House");
        assert_eq!(address("MACCLESFIELD ROAD"), "Macclesfield Road");
        assert_eq!(name("O'NEILL'S CHEMIST"), "O'Neill's Chemist");
        assert_eq!(name("O’BRIEN SURGERY"), "O’Brien Surgery");
        assert_eq!(name("CHILDREN'S CENTRE"), "Children's Centre");
    }

    #[test]
    fn hyphens() {
        assert_eq!(address("ASHTON-UNDER-LYNE"), "Ashton-under-Lyne");
        assert_eq!(address("STRATFORD-UPON-AVON"), "Stratford-upon-Avon");
        assert_eq!(name("SMITH-JONES PHARMACY"), "Smith-Jones Pharmacy");
        assert_eq!(
            address("NEWCASTLE-UNDER-LYME, STAFFORDSHIRE"),
            "Newcastle-under-Lyme, Staffordshire"
        );
    }

    #[test]
    fn mixed_case_is_left_alone() {
        assert_eq!(name("BRASS Bolton"), "BRASS Bolton");
        assert_eq!(name("LloydsPharmacy"), "LloydsPharmacy");
        assert_eq!(name("123"), "123");
        assert!(matches!(
            readable("St Mary's", false),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn words_that_are_initialisms_only_in_names() {
        assert_eq!(name("SEND ADVICE SERVICE"), "SEND Advice Service");
        assert_eq!(address("SEND ROAD, WOKING"), "Send Road, Woking");
    }
}
