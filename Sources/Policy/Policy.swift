/// The Policy module: policies from `Policies/` (``PolicySet``), the classifier (``Classifier``),
/// reply templates (``PolicySet/templates(for:kind:)``) and the outgoing-reply check (``ReplyGuard``).
///
/// Pipeline of one message: ``NormalizedText`` (NFKC, format characters dropped, lowercase,
/// confusables, accents folded except ñ, with an offset map) -> tokens -> one token automaton per
/// language over every phrase list -> obfuscation channel (offensive, spam) -> identifier
/// recognisers with validators -> context (negation, experiencer, temporality, hypothetical,
/// figurative) -> noisy-OR scores and thresholds per flag -> cross-flag rules -> sentiment ->
/// recommended template.
public enum PolicyModule {
    /// Version of the policy file format this module reads.
    public static let formatVersion = 1
}
