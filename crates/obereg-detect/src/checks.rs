//! The check digits that turn a run of digits into an identifier: Luhn (cards), SNILS,
//! INN (10 and 12 digits), OGRN and OGRNIP, and the IBAN's mod 97. Each takes the digits
//! as numbers 0–9 (IBAN: the characters), so the scanner strips separators once.
//!
//! Rationale: a random 10-digit number passes the INN-10 check one time in ten, a 12-digit
//! one the INN-12 check one time in a hundred, a 16-digit one Luhn one time in ten; so the
//! checks are necessary, and context or format decides the rest (see `numeric.rs`).

/// Luhn: doubling every second digit from the right, the sum is a multiple of 10.
pub fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &d) in digits.iter().rev().enumerate() {
        let d = u32::from(d);
        sum += if i % 2 == 1 {
            let x = d * 2;
            if x > 9 { x - 9 } else { x }
        } else {
            d
        };
    }
    sum.is_multiple_of(10)
}

/// SNILS (11 digits): the sum of the first nine digits weighted 9..1, taken mod 101 (100
/// and 101 give 00), equals the last two. Numbers up to 001-001-998 carry no checksum and
/// are not issued any more; they are refused.
pub fn snils(digits: &[u8]) -> bool {
    if digits.len() != 11 {
        return false;
    }
    let number = digits[..9].iter().fold(0u32, |n, &d| n * 10 + u32::from(d));
    if number <= 1_001_998 {
        return false;
    }
    let sum: u32 = digits[..9].iter().enumerate().map(|(i, &d)| u32::from(d) * (9 - i as u32)).sum();
    let check = match sum % 101 {
        100 => 0,
        x => x,
    };
    check == u32::from(digits[9]) * 10 + u32::from(digits[10])
}

fn weighted(digits: &[u8], weights: &[u32]) -> u8 {
    let sum: u32 = digits.iter().zip(weights).map(|(&d, &w)| u32::from(d) * w).sum();
    ((sum % 11) % 10) as u8
}

/// INN of an organisation (10 digits, one check digit) or a person (12 digits, two).
pub fn inn(digits: &[u8]) -> bool {
    match digits.len() {
        10 => weighted(digits, &[2, 4, 10, 3, 5, 9, 4, 6, 8]) == digits[9],
        12 => {
            weighted(digits, &[7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == digits[10]
                && weighted(digits, &[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == digits[11]
        }
        _ => false,
    }
}

/// OGRN (13 digits: the first 12 mod 11, last digit of that) or OGRNIP (15 digits: the
/// first 14 mod 13, last digit of that). The first digit is the record kind: 1 or 5 for
/// OGRN, 3 for OGRNIP.
pub fn ogrn(digits: &[u8]) -> bool {
    let (modulus, kinds): (u64, &[u8]) = match digits.len() {
        13 => (11, &[1, 5]),
        15 => (13, &[3]),
        _ => return false,
    };
    if !kinds.contains(&digits[0]) {
        return false;
    }
    let body = digits[..digits.len() - 1].iter().fold(0u64, |n, &d| n * 10 + u64::from(d));
    (body % modulus % 10) as u8 == digits[digits.len() - 1]
}

/// IBAN mod 97 over the compact form (letters and digits, no spaces): the first four
/// characters moved to the end, letters as 10–35, the number mod 97 is 1.
pub fn iban(compact: &[u8]) -> bool {
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    let mut rem = 0u32;
    for &c in compact[4..].iter().chain(&compact[..4]) {
        rem = match c {
            b'0'..=b'9' => (rem * 10 + u32::from(c - b'0')) % 97,
            b'A'..=b'Z' => (rem * 100 + u32::from(c - b'A' + 10)) % 97,
            _ => return false,
        };
    }
    rem == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Vec<u8> {
        text.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect()
    }

    #[test]
    fn known_good_numbers_pass_and_one_changed_digit_fails() {
        assert!(luhn(&d("4561 2612 1234 5467")));
        assert!(!luhn(&d("4561 2612 1234 5468")));
        assert!(snils(&d("112-233-445 95")));
        assert!(!snils(&d("112-233-445 96")));
        assert!(inn(&d("7707083893")));
        assert!(!inn(&d("7707083894")));
        assert!(inn(&d("500100732259")));
        assert!(!inn(&d("500100732258")));
        assert!(ogrn(&d("1027700132195")));
        assert!(!ogrn(&d("1027700132196")));
        assert!(ogrn(&d("304500116000157")));
        assert!(!ogrn(&d("304500116000158")));
        assert!(iban(b"GB82WEST12345698765432"));
        assert!(!iban(b"GB82WEST12345698765433"));
        assert!(!iban(b"GB82"));
    }

    #[test]
    fn snils_without_a_checksum_is_not_accepted() {
        assert!(!snils(&d("001-001-998 00")));
    }
}
