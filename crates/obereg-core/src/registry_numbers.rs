//! Check digits of Russian registry numbers: INN (taxpayer number) and OGRN / OGRNIP (state
//! registration numbers of a legal entity / an individual entrepreneur).
//!
//! A typo in these numbers makes every generated document (policy, RKN notice) wrong, so the
//! catalog check verifies the control digits the Federal Tax Service defines.

fn digits(s: &str) -> Option<Vec<u32>> {
    s.chars().map(|c| c.to_digit(10)).collect()
}

fn weighted_check(d: &[u32], weights: &[u32]) -> u32 {
    let sum: u32 = d.iter().zip(weights).map(|(a, b)| a * b).sum();
    sum % 11 % 10
}

/// Whether `inn` is a 10-digit (organisation) or 12-digit (person) INN with valid check digits.
pub fn is_valid_inn(inn: &str) -> bool {
    let Some(d) = digits(inn) else { return false };
    match d.len() {
        10 => weighted_check(&d[..9], &[2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[9],
        12 => {
            weighted_check(&d[..10], &[7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[10]
                && weighted_check(&d[..11], &[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[11]
        }
        _ => false,
    }
}

/// Whether `ogrn` is a 13-digit OGRN or a 15-digit OGRNIP with a valid check digit.
pub fn is_valid_ogrn(ogrn: &str) -> bool {
    let Some(d) = digits(ogrn) else { return false };
    let (body, modulus) = match d.len() {
        13 => (&d[..12], 11u64),
        15 => (&d[..14], 13u64),
        _ => return false,
    };
    let value = body.iter().fold(0u64, |acc, x| acc * 10 + u64::from(*x));
    (value % modulus % 10) as u32 == d[d.len() - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inn_check_digits() {
        assert!(is_valid_inn("7707083893"));
        assert!(!is_valid_inn("7707083894"));
        assert!(is_valid_inn("500100732259"));
        assert!(!is_valid_inn("500100732258"));
        assert!(!is_valid_inn("77070838"));
        assert!(!is_valid_inn("77O7083893"));
    }

    #[test]
    fn ogrn_check_digits() {
        assert!(is_valid_ogrn("1027700132195"));
        assert!(!is_valid_ogrn("1027700132196"));
        assert!(is_valid_ogrn("304500116000157"));
        assert!(!is_valid_ogrn("304500116000158"));
        assert!(!is_valid_ogrn("12345"));
    }
}
