/// # The Rounds console core
///
/// Pure and synchronous: `ConsoleState` (a value) + `ConsoleAction` (events) →
/// `Reducer.reduce(into:_:)` → `[Effect]` (data). `ConsoleDriver` carries effects out against a
/// `ConsoleStore` and a `ConsolePolicy` and feeds results back as actions; `Renderer.render`
/// draws the state into a `Screen` grid that the terminal adapter presents by diff.
///
/// Wiring (in the `rounds` executable):
///
/// ```swift
/// let (keys, keyErrors) = KeyMap.load(path: "\(home)/.config/rounds/keys.conf")
/// for e in keyErrors { FileHandle.standardError.write("\(e)\n".data(using: .utf8)!) }
/// try ConsoleApp.run(store: storeAdapter, policy: policyAdapter, moderator: NSUserName(),
///                    role: .moderator, keyMap: keys, exporter: { queue, query in ... })
/// ```
///
/// Safety: every string the grid receives goes through `DisplayText`, so untrusted text can
/// never put a control character, escape sequence, bidi override or zero-width character on
/// the terminal; widths follow `TextWidth` (libc `wcwidth` rules), so every row is exactly
/// the screen width. Search input becomes a typed `InboxQuery`; its full-text part is only
/// ever handed to FTS5 through `ftsMatchExpression()`, where each term is a quoted phrase.
public enum ConsoleOverview {}
