//! Flow JSON versions: `"{major}.{minor}"` strings, compared numerically (`1.10` after `1.9`).

use std::fmt;
use std::str::FromStr;

/// A Flow JSON (or Data API) version, `major.minor`.
///
/// ```
/// use flows_json::Version;
/// let v: Version = "6.3".parse().unwrap();
/// assert!(v >= Version::V6_0 && v < Version::V7_0);
/// assert_eq!(v.to_string(), "6.3");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// The major number.
    pub major: u16,
    /// The minor number.
    pub minor: u16,
}

macro_rules! versions {
    ($($name:ident = ($major:literal, $minor:literal)),* $(,)?) => {
        impl Version {
            $(
                #[doc = concat!("Flow JSON ", stringify!($major), ".", stringify!($minor), ".")]
                pub const $name: Self = Self { major: $major, minor: $minor };
            )*
            /// Every Flow JSON version Meta has released, oldest first (flow-json-rules.md rule 14,
            /// flow-client.md §1.4).
            pub const RELEASED: &'static [Self] = &[$(Self::$name),*];
        }
    };
}

versions! {
    V2_1 = (2, 1), V3_0 = (3, 0), V3_1 = (3, 1), V4_0 = (4, 0), V5_0 = (5, 0), V5_1 = (5, 1), V6_0 = (6, 0), V6_1 = (6, 1),
    V6_2 = (6, 2), V6_3 = (6, 3), V7_0 = (7, 0), V7_1 = (7, 1), V7_2 = (7, 2), V7_3 = (7, 3),
}

impl Version {
    /// The newest version this crate knows.
    pub const LATEST: Self = Self::V7_3;

    /// Builds a version.
    #[must_use]
    pub const fn new(major: u16, minor: u16) -> Self {
        Self { major, minor }
    }

    /// Whether Meta has released this version.
    #[must_use]
    pub fn is_released(self) -> bool {
        Self::RELEASED.contains(&self)
    }

    /// The date (ISO 8601) from which Meta no longer lets flows of this version be published, if
    /// the version is frozen (flow-json-rules.md rule 13, [DOC S6]).
    #[must_use]
    pub fn frozen_since(self) -> Option<&'static str> {
        if self <= Self::V4_0 {
            Some("2025-04-08")
        } else if self == Self::V5_0 {
            Some("2025-09-10")
        } else {
            None
        }
    }
}

/// A version string that is not `{major}.{minor}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a version is a string of the form \"{{major}}.{{minor}}\", like \"7.3\"")]
pub struct VersionFormatError;

impl FromStr for Version {
    type Err = VersionFormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (major, minor) = s.split_once('.').ok_or(VersionFormatError)?;
        let part = |p: &str| {
            if p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(VersionFormatError);
            }
            p.parse::<u16>().map_err(|_| VersionFormatError)
        };
        Ok(Self::new(part(major)?, part(minor)?))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order_numerically() {
        assert_eq!("1.10".parse::<Version>(), Ok(Version::new(1, 10)));
        assert!(Version::new(1, 10) > Version::new(1, 9));
        for bad in ["7", "7.", ".3", "7.3.1", "a.b", "-1.0", "7.3 ", "99999.0"] {
            assert!(bad.parse::<Version>().is_err(), "{bad}");
        }
        assert_eq!(Version::V3_1.frozen_since(), Some("2025-04-08"));
        assert_eq!(Version::V5_1.frozen_since(), None);
        assert!(Version::V6_2.is_released() && !Version::new(5, 2).is_released());
    }
}
