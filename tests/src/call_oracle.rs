//! What a caller would hear, read from a provider's answer the way the provider reads it: the
//! TwiML / Plivo XML through an XML parser, Exotel's and Vonage's JSON as JSON. The tests judge
//! the call path by this, not by the product's own simulator, so a wrong answer cannot pass
//! because product and check share a mistake.
//!
//! It is strict where privacy is at stake: an answer is out of session only if nothing in it
//! dials anyone, anywhere (no `<Dial>`, no `<Redirect>` to more instructions, no Exotel
//! destination, no Vonage `connect`); a connecting answer must dial exactly one number. Anything
//! else is an error, whatever else it says.

use maskline::providers::ProviderKind;
use quick_xml::events::Event;
use quick_xml::Reader;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// Ring `callee`, showing `caller_id` (both E.164 with `+`).
    Connect { callee: String, caller_id: String },
    /// Nobody is dialled: the caller hears a refusal (or nothing).
    OutOfSession,
}

/// Elements inside `<Dial>` that ring something (Twilio and Plivo).
const DIAL_TARGETS: [&str; 7] = [
    "Number",
    "Sip",
    "Client",
    "Conference",
    "Queue",
    "User",
    "Application",
];

pub fn hear(provider: ProviderKind, body: &str) -> Result<Heard, String> {
    match provider {
        ProviderKind::Twilio | ProviderKind::Plivo => hear_xml(body),
        ProviderKind::Exotel => hear_exotel(body),
        ProviderKind::Vonage => hear_ncco(body),
    }
}

#[derive(Default)]
struct Dial {
    caller_id: Option<String>,
    /// (target element, its text)
    targets: Vec<(String, String)>,
}

fn hear_xml(body: &str) -> Result<Heard, String> {
    let mut reader = Reader::from_str(body);
    let mut dials: Vec<Dial> = Vec::new();
    let mut redirects = 0;
    let mut open: Vec<String> = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("not XML ({e}): {body}"))?;
        match event {
            Event::Start(ref element) | Event::Empty(ref element) => {
                let opens = matches!(event, Event::Start(_));
                let name = String::from_utf8_lossy(element.name().as_ref()).into_owned();
                if name == "Redirect" {
                    redirects += 1;
                }
                if name == "Dial" {
                    let caller_id = element
                        .attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == b"callerId")
                        .map(|a| String::from_utf8_lossy(&a.value).into_owned());
                    dials.push(Dial {
                        caller_id,
                        targets: Vec::new(),
                    });
                }
                if DIAL_TARGETS.contains(&name.as_str()) && open.iter().any(|o| o == "Dial") {
                    if let Some(dial) = dials.last_mut() {
                        dial.targets.push((name.clone(), String::new()));
                    }
                }
                if opens {
                    open.push(name);
                }
            }
            Event::Text(text) => {
                let in_target = open
                    .last()
                    .is_some_and(|o| DIAL_TARGETS.contains(&o.as_str()));
                if let (true, Some(dial)) = (in_target, dials.last_mut()) {
                    if let Some((_, content)) = dial.targets.last_mut() {
                        let text = text.decode().map_err(|e| format!("bad text ({e})"))?;
                        content.push_str(text.trim());
                    }
                }
            }
            Event::End(_) => {
                open.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    match (dials.as_slice(), redirects) {
        ([], 0) => Ok(Heard::OutOfSession),
        ([dial], 0) => match dial.targets.as_slice() {
            [(kind, number)] if kind == "Number" => Ok(Heard::Connect {
                callee: plus(number),
                caller_id: plus(
                    dial.caller_id
                        .as_deref()
                        .ok_or("a <Dial> with no callerId")?,
                ),
            }),
            targets => Err(format!(
                "a <Dial> must ring one <Number>, not {targets:?}: {body}"
            )),
        },
        _ => Err(format!(
            "{} <Dial> and {redirects} <Redirect>: {body}",
            dials.len()
        )),
    }
}

fn hear_exotel(body: &str) -> Result<Heard, String> {
    let answer: Value = serde_json::from_str(body).map_err(|_| format!("not JSON: {body}"))?;
    let numbers = answer["destination"]["numbers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    match numbers.as_slice() {
        [] => Ok(Heard::OutOfSession),
        [callee] => Ok(Heard::Connect {
            callee: plus(callee.as_str().ok_or("a destination that is not text")?),
            caller_id: plus(
                answer["outgoing_phone_number"]
                    .as_str()
                    .ok_or("no outgoing_phone_number")?,
            ),
        }),
        more => Err(format!("{} destinations: {body}", more.len())),
    }
}

fn hear_ncco(body: &str) -> Result<Heard, String> {
    let ncco: Value = serde_json::from_str(body).map_err(|_| format!("not JSON: {body}"))?;
    let mut connects = Vec::new();
    collect_connects(&ncco, &mut connects);
    match connects.as_slice() {
        [] => Ok(Heard::OutOfSession),
        [connect] => match connect["endpoint"].as_array().map(Vec::as_slice) {
            Some([endpoint]) if endpoint["type"] == "phone" => Ok(Heard::Connect {
                callee: plus(
                    endpoint["number"]
                        .as_str()
                        .ok_or("an endpoint with no number")?,
                ),
                caller_id: plus(connect["from"].as_str().ok_or("a connect with no from")?),
            }),
            _ => Err(format!("a connect must ring one phone: {body}")),
        },
        more => Err(format!("{} connect actions: {body}", more.len())),
    }
}

/// Every `connect` action anywhere in the NCCO, nested ones included.
fn collect_connects<'a>(value: &'a Value, found: &mut Vec<&'a Value>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect_connects(v, found)),
        Value::Object(map) => {
            if map.get("action").and_then(Value::as_str) == Some("connect") {
                found.push(value);
            }
            map.values().for_each(|v| collect_connects(v, found));
        }
        _ => {}
    }
}

/// What the parties hear before they are bridged, read from a connecting answer the way the
/// provider reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BeforeBridge {
    /// Said to the caller before anyone is dialled: Twilio `<Say>` / Plivo `<Speak>` ahead of the
    /// `<Dial>`, Vonage `talk` ahead of the `connect`; Exotel's playback to `both`.
    pub caller: Vec<String>,
    /// Said to the callee inside the answer itself: Exotel's playback to `callee` or `both`.
    pub callee: Vec<String>,
    /// Where the provider fetches what the callee alone hears on answering, before the bridge:
    /// Twilio `<Number url>`, Plivo `<Dial confirmSound>`, Vonage endpoint `onAnswer.url`.
    pub callee_url: Option<String>,
}

pub fn before_bridge(provider: ProviderKind, body: &str) -> Result<BeforeBridge, String> {
    match provider {
        ProviderKind::Twilio | ProviderKind::Plivo => xml_before_bridge(body),
        ProviderKind::Exotel => {
            let answer: Value =
                serde_json::from_str(body).map_err(|_| format!("not JSON: {body}"))?;
            let mut heard = BeforeBridge::default();
            let playback = &answer["start_call_playback"];
            if !playback.is_null() {
                if playback["type"] != "text" {
                    return Err(format!("a playback that is not text: {body}"));
                }
                let text = playback["value"]
                    .as_str()
                    .ok_or("a playback with no value")?;
                match playback["playback_to"].as_str() {
                    Some("callee") => heard.callee.push(text.to_string()),
                    Some("both") => {
                        heard.callee.push(text.to_string());
                        heard.caller.push(text.to_string());
                    }
                    other => return Err(format!("playback_to {other:?}: {body}")),
                }
            }
            Ok(heard)
        }
        ProviderKind::Vonage => {
            let ncco: Value =
                serde_json::from_str(body).map_err(|_| format!("not JSON: {body}"))?;
            let mut heard = BeforeBridge::default();
            for action in ncco.as_array().ok_or("an NCCO is an array")? {
                match action["action"].as_str() {
                    Some("talk") => heard
                        .caller
                        .push(action["text"].as_str().ok_or("talk with no text")?.into()),
                    Some("connect") => {
                        heard.callee_url = action["endpoint"][0]["onAnswer"]["url"]
                            .as_str()
                            .map(str::to_string);
                        break;
                    }
                    _ => {}
                }
            }
            Ok(heard)
        }
    }
}

/// Where a connecting answer asks the provider to report how the forwarded leg ended, read as
/// the provider reads it: Twilio's and Plivo's `<Dial action>`, Vonage's `connect` `eventUrl`
/// (only with `eventType: synchronous`, without which its answer would be ignored). Exotel names
/// no URL: `Some("")` when it asks for the voice URL again (`fetch_after_attempt: true`).
pub fn dial_result_url(provider: ProviderKind, body: &str) -> Result<Option<String>, String> {
    match provider {
        ProviderKind::Twilio | ProviderKind::Plivo => {
            let mut reader = Reader::from_str(body);
            loop {
                match reader
                    .read_event()
                    .map_err(|e| format!("not XML ({e}): {body}"))?
                {
                    Event::Start(ref element) | Event::Empty(ref element)
                        if element.name().as_ref() == b"Dial" =>
                    {
                        return Ok(attribute(element, b"action"));
                    }
                    Event::Eof => return Ok(None),
                    _ => {}
                }
            }
        }
        ProviderKind::Exotel => {
            let answer: Value =
                serde_json::from_str(body).map_err(|_| format!("not JSON: {body}"))?;
            Ok((answer["fetch_after_attempt"] == Value::Bool(true)).then(String::new))
        }
        ProviderKind::Vonage => {
            let ncco: Value =
                serde_json::from_str(body).map_err(|_| format!("not JSON: {body}"))?;
            let mut connects = Vec::new();
            collect_connects(&ncco, &mut connects);
            Ok(connects.first().and_then(|connect| {
                (connect["eventType"] == "synchronous")
                    .then(|| connect["eventUrl"][0].as_str().map(str::to_string))
                    .flatten()
            }))
        }
    }
}

/// Where a connecting answer says the dialled leg's outcome is reported, read as the provider
/// reads it: Twilio's `<Number statusCallback>`, Plivo's `<Dial callbackUrl>`. (Vonage's is its
/// dial-result event URL, [`dial_result_url`]; Exotel names none.)
pub fn report_url(provider: ProviderKind, body: &str) -> Result<Option<String>, String> {
    let (element, name): (&[u8], &[u8]) = match provider {
        ProviderKind::Twilio => (b"Number", b"statusCallback"),
        ProviderKind::Plivo => (b"Dial", b"callbackUrl"),
        _ => return Ok(None),
    };
    let mut reader = Reader::from_str(body);
    loop {
        match reader
            .read_event()
            .map_err(|e| format!("not XML ({e}): {body}"))?
        {
            Event::Start(ref found) | Event::Empty(ref found)
                if found.name().as_ref() == element =>
            {
                return Ok(attribute(found, name));
            }
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}

/// Whether the answer lets the call end as it is: it dials nobody and says nothing (Twilio and
/// Plivo `<Hangup/>` alone, Vonage `[]`, Exotel no destination and no further fetch).
pub fn ends_quietly(provider: ProviderKind, body: &str) -> Result<bool, String> {
    if hear(provider, body)? != Heard::OutOfSession {
        return Ok(false);
    }
    Ok(match provider {
        ProviderKind::Twilio | ProviderKind::Plivo => xml_before_bridge(body)?.caller.is_empty(),
        ProviderKind::Vonage => {
            serde_json::from_str::<Value>(body).map_err(|e| e.to_string())? == Value::Array(vec![])
        }
        ProviderKind::Exotel => dial_result_url(provider, body)?.is_none(),
    })
}

fn attribute(element: &quick_xml::events::BytesStart, name: &[u8]) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .map(|a| unescape(&String::from_utf8_lossy(&a.value)))
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Speech verbs: what a caller or callee hears read out.
const SPEECH: [&str; 2] = ["Say", "Speak"];

/// The text of every speech verb in `body` (up to the first `<Dial>` when `before_dial`), and the
/// whisper attributes of its `<Dial>` / `<Number>`.
fn xml_before_bridge(body: &str) -> Result<BeforeBridge, String> {
    let mut reader = Reader::from_str(body);
    let mut heard = BeforeBridge::default();
    let mut open: Vec<String> = Vec::new();
    let mut dialled = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("not XML ({e}): {body}"))?;
        match event {
            Event::Start(ref element) | Event::Empty(ref element) => {
                let name = String::from_utf8_lossy(element.name().as_ref()).into_owned();
                if name == "Dial" {
                    dialled = true;
                    if let Some(url) = attribute(element, b"confirmSound") {
                        heard.callee_url = Some(url);
                    }
                }
                if name == "Number" && open.iter().any(|o| o == "Dial") {
                    if let Some(url) = attribute(element, b"url") {
                        heard.callee_url = Some(url);
                    }
                }
                if matches!(event, Event::Start(_)) {
                    open.push(name);
                }
            }
            Event::Text(text)
                if !dialled && open.last().is_some_and(|o| SPEECH.contains(&o.as_str())) =>
            {
                let text = text.decode().map_err(|e| format!("bad text ({e})"))?;
                heard.caller.push(unescape(text.trim()));
            }
            Event::End(_) => {
                open.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(heard)
}

/// What the callee hears from a whisper answer: its speech, in order. It must dial nobody (a
/// whisper that dialled would ring someone from the callee's leg).
pub fn hear_whisper(provider: ProviderKind, body: &str) -> Result<Vec<String>, String> {
    match provider {
        ProviderKind::Twilio | ProviderKind::Plivo => {
            if hear_xml(body)? != Heard::OutOfSession {
                return Err(format!("a whisper that dials: {body}"));
            }
            Ok(xml_before_bridge(body)?.caller)
        }
        ProviderKind::Vonage => {
            if hear_ncco(body)? != Heard::OutOfSession {
                return Err(format!("a whisper that connects: {body}"));
            }
            Ok(before_bridge(provider, body)?.caller)
        }
        ProviderKind::Exotel => Err("Exotel fetches no whisper".into()),
    }
}

fn plus(number: &str) -> String {
    if number.starts_with('+') {
        number.to_string()
    } else {
        format!("+{number}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_that_speaks_then_dials_is_a_connection_not_a_refusal() {
        let body = r#"<Response><Say>Connecting you</Say><Dial callerId="+918041000001"><Number>+919876500002</Number></Dial></Response>"#;
        assert_eq!(
            hear(ProviderKind::Twilio, body).unwrap(),
            Heard::Connect {
                callee: "+919876500002".into(),
                caller_id: "+918041000001".into()
            }
        );
    }

    #[test]
    fn speech_before_the_dial_is_the_callers_and_the_whisper_url_the_callees() {
        let twilio = r#"<Response><Say>This call will be recorded.</Say><Dial callerId="+1"><Number url="https://x/w?order=O&amp;callee=driver" method="POST">+2</Number></Dial><Say>Goodbye</Say></Response>"#;
        assert_eq!(
            before_bridge(ProviderKind::Twilio, twilio).unwrap(),
            BeforeBridge {
                caller: vec!["This call will be recorded.".into()],
                callee: vec![],
                callee_url: Some("https://x/w?order=O&callee=driver".into()),
            }
        );
        let exotel = r#"{"destination":{"numbers":["+2"]},"outgoing_phone_number":"+1","start_call_playback":{"playback_to":"callee","type":"text","value":"hi"}}"#;
        let heard = before_bridge(ProviderKind::Exotel, exotel).unwrap();
        assert_eq!(
            (heard.caller.len(), heard.callee),
            (0, vec!["hi".to_string()])
        );
        let whisper = r#"[{"action":"talk","text":"Order 4821"}]"#;
        assert_eq!(
            hear_whisper(ProviderKind::Vonage, whisper).unwrap(),
            ["Order 4821"]
        );
        let dialling = r#"<Response><Dial><Number>+3</Number></Dial></Response>"#;
        assert!(hear_whisper(ProviderKind::Twilio, dialling).is_err());
    }

    #[test]
    fn a_refusal_dials_nothing_anywhere() {
        let refusal = "<Response><Say>This number is not in use.</Say><Hangup/></Response>";
        assert_eq!(
            hear(ProviderKind::Twilio, refusal).unwrap(),
            Heard::OutOfSession
        );
        let redirected =
            "<Response><Say>Sorry</Say><Redirect>https://x.example/next</Redirect></Response>";
        assert!(hear(ProviderKind::Twilio, redirected).is_err());
        let two = r#"<Response><Dial callerId="+1"><Number>+2</Number><Number>+3</Number></Dial></Response>"#;
        assert!(hear(ProviderKind::Plivo, two).is_err());
        let nested = r#"[{"action":"talk","text":"hi"},{"action":"input","eventUrl":["x"],"then":{"action":"connect","from":"1","endpoint":[{"type":"phone","number":"2"}]}}]"#;
        assert!(matches!(
            hear(ProviderKind::Vonage, nested).unwrap(),
            Heard::Connect { .. }
        ));
        let exotel = r#"{"destination":{"numbers":[]},"outgoing_phone_number":"+1"}"#;
        assert_eq!(
            hear(ProviderKind::Exotel, exotel).unwrap(),
            Heard::OutOfSession
        );
    }
}
