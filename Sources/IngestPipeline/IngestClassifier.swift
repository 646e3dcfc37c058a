import InboxModel
import Policy

/// Ingest's classify step: the classifier and the policy version it stamps on each message.
public enum IngestClassifier {
    public static func make(_ set: PolicySet) -> Ingester.Classify {
        let classifier = Classifier(policies: set)
        let version = set.version
        return { m in (classifier.classify(m.text, platform: m.platform, kind: m.kind, rating: m.rating), version) }
    }
}
