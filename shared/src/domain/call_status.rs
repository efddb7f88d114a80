//! How far a call got, in provider-neutral terms: what the call log keeps and what decides a
//! number's failure run.

/// How a call ended (or how far it got), in provider-neutral terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallStatus {
    Ringing,
    InProgress,
    Completed,
    Busy,
    NoAnswer,
    Failed,
    Canceled,
}

impl CallStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Ringing => "ringing",
            CallStatus::InProgress => "in-progress",
            CallStatus::Completed => "completed",
            CallStatus::Busy => "busy",
            CallStatus::NoAnswer => "no-answer",
            CallStatus::Failed => "failed",
            CallStatus::Canceled => "canceled",
        }
    }

    /// A final status that means the parties did not talk.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            CallStatus::Busy | CallStatus::NoAnswer | CallStatus::Failed | CallStatus::Canceled
        )
    }

    pub fn is_final(self) -> bool {
        self == CallStatus::Completed || self.is_failure()
    }

    pub fn parse(raw: &str) -> Option<CallStatus> {
        Some(
            match raw.trim().to_ascii_lowercase().replace('_', "-").as_str() {
                "ringing" | "initiated" | "queued" | "started" => CallStatus::Ringing,
                "in-progress" | "answered" => CallStatus::InProgress,
                "completed" => CallStatus::Completed,
                "busy" => CallStatus::Busy,
                "no-answer" | "unanswered" | "timeout" => CallStatus::NoAnswer,
                "failed" | "rejected" => CallStatus::Failed,
                "canceled" | "cancelled" => CallStatus::Canceled,
                _ => return None,
            },
        )
    }
}
