//! What to tell the provider: connect the call, or politely refuse it.

use super::call_announcement::Announcements;
use crate::domain::{VirtualNumber, E164};

#[derive(Clone, PartialEq, Eq)]
pub enum Answer {
    /// Ring `callee`, showing `caller_id` (a VN, never the caller's real number).
    Connect {
        callee: E164,
        caller_id: VirtualNumber,
        /// Where the provider reports this call's outcome, when it can be told per call (see
        /// `providers::call_report`).
        report_to: Option<String>,
        /// Where the provider reports how the forwarded leg ended, so a failed leg can be tried
        /// on the backup (see `providers::dial_result`). Exotel takes no URL: there it asks for
        /// the voice URL to be fetched again after the attempt.
        dial_result_to: Option<String>,
        /// What the callee hears on answering, before the bridge (see `call_announcement`); `None`
        /// bridges at once.
        callee_hears: Option<CalleeMessage>,
    },
    /// Not a party of a live session on `dialled`: say so, optionally forward to support showing
    /// the dialled VN (so even the support line never sees a stranger's real number).
    OutOfSession { dialled: VirtualNumber },
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Connect {
                callee, caller_id, ..
            } => {
                write!(f, "Connect({callee} showing {caller_id})")
            }
            Answer::OutOfSession { dialled } => write!(f, "OutOfSession({dialled})"),
        }
    }
}

/// The callee's message before the bridge: inline where the provider takes text in the answer
/// (Exotel), else fetched by the provider from `url` on answer (the whisper route, see
/// `providers::whisper`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalleeMessage {
    pub text: String,
    pub url: Option<String>,
}

/// Per-deployment answer settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerOptions {
    pub max_call_seconds: u32,
    pub ring_timeout_seconds: u32,
    pub record: bool,
    pub out_of_session_message: String,
    pub out_of_session_forward: Option<E164>,
    /// Said when the call cannot be routed right now (the table is unreachable): the caller
    /// hears a polite "try again" in the provider's own format instead of its generic error.
    pub try_again_message: String,
    /// The callee's announcement and the consent notice (with `record`).
    pub announcements: Announcements,
}

impl AnswerOptions {
    /// What the caller of a connected call hears before the dial: the consent notice when
    /// calls are recorded.
    pub fn caller_notice(&self) -> Option<&str> {
        self.announcements.to_caller(self.record)
    }

    /// The options for the "try again" answer: the out-of-session answer, saying
    /// `try_again_message`, forwarded nowhere (a support line cannot be told who called either).
    pub fn trying_again(&self) -> AnswerOptions {
        AnswerOptions {
            out_of_session_message: self.try_again_message.clone(),
            out_of_session_forward: None,
            ..self.clone()
        }
    }
}

pub const DEFAULT_TRY_AGAIN_MESSAGE: &str =
    "Sorry, we cannot connect your call right now. Please try again in a minute.";

pub const DEFAULT_OUT_OF_SESSION_MESSAGE: &str =
    "Sorry, this number is not available for your call. Please use the number shown in the app.";

impl Default for AnswerOptions {
    fn default() -> Self {
        AnswerOptions {
            max_call_seconds: 3600,
            ring_timeout_seconds: 30,
            record: false,
            out_of_session_message: DEFAULT_OUT_OF_SESSION_MESSAGE.to_string(),
            out_of_session_forward: None,
            try_again_message: DEFAULT_TRY_AGAIN_MESSAGE.to_string(),
            announcements: Announcements::default(),
        }
    }
}

/// A rendered answer: HTTP 200 with this content type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub content_type: &'static str,
    pub body: String,
}

/// E.164 without the `+`, as Plivo and Vonage write numbers.
pub fn digits(number: &str) -> &str {
    number.trim_start_matches('+')
}
