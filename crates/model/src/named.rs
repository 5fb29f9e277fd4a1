//! Enums whose variants are stored and answered by name: one definition
//! gives the variants, their names, parsing and `Display`, so that a state
//! is written as a type everywhere and as a string only at the edges.

/// Defines a fieldless enum with a fixed name per variant: `ALL`,
/// `name()`, `parse()` and `Display`.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$doc:meta])* $variant:ident = $text:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$doc])* $variant,)*
        }

        impl $name {
            /// Every variant.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The name, as stored and answered.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The variant a name stands for.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

pub(crate) use named_enum;

#[cfg(test)]
mod tests {
    use crate::{AppealState, DeliveryState, ReviewReason, ReviewState, SubscriptionKind};

    fn round_trips<T: Copy + PartialEq + std::fmt::Debug>(
        all: &[T],
        name: fn(T) -> &'static str,
        parse: fn(&str) -> Option<T>,
    ) -> Vec<&'static str> {
        for v in all {
            assert_eq!(parse(name(*v)), Some(*v));
        }
        assert_eq!(parse("Open"), None, "names are exact");
        all.iter().map(|v| name(*v)).collect()
    }

    /// The names are what the databases already hold.
    #[test]
    fn names_are_todays_stored_strings() {
        assert_eq!(
            round_trips(ReviewState::ALL, ReviewState::name, ReviewState::parse),
            ["open", "confirmed", "rejected"]
        );
        assert_eq!(
            round_trips(ReviewReason::ALL, ReviewReason::name, ReviewReason::parse),
            ["match", "flood"]
        );
        assert_eq!(
            round_trips(
                DeliveryState::ALL,
                DeliveryState::name,
                DeliveryState::parse
            ),
            ["pending", "delivered", "dead"]
        );
        assert_eq!(
            round_trips(
                SubscriptionKind::ALL,
                SubscriptionKind::name,
                SubscriptionKind::parse
            ),
            ["bank", "hotline"]
        );
        assert_eq!(
            round_trips(AppealState::ALL, AppealState::name, AppealState::parse),
            ["open", "upheld", "rejected"]
        );
    }
}
