import ArgumentParser
import Connections
import Foundation
import InboxModel
import Logging
import ServiceLifecycle
import Store

/// Tuning of the delivery worker, shared by `serve` and `deliver`.
struct DeliveryOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Platform calls in flight at once per page or account.", valueName: "N"))
    var perConnection: Int = 8

    @Option(help: ArgumentHelp("Seconds before the first retry of a failed call (doubling, with jitter).", visibility: .hidden))
    var retrySeconds: Double = 5

    func worker(inbox: InboxDatabase, routes: DeliveryRoutes, http: PlatformHTTP, metrics: ServerMetrics, health: Health?,
                logger: Logger) -> DeliveryWorker {
        DeliveryWorker(inbox: inbox, routes: routes, http: http, metrics: metrics, health: health, logger: logger,
                       perAccount: perConnection, retryBase: retrySeconds)
    }
}

/// `rounds deliver`: the delivery worker alone, for setups without `rounds serve` (messages
/// ingested from files, actions delivered from a cron job or a shell).
struct Deliver: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver",
        abstract: "Deliver queued replies, hides and deletes to the platforms.",
        discussion: """
            Takes each action whose undo window is over and performs it on its platform, with \
            retries that honour the platform's limits. --once delivers what is due now and exits \
            (retries that are not due yet stay queued). Refused while rounds serve runs on the \
            same inbox: it delivers already. See docs/operations.md.
            """
    )

    @Option(help: ArgumentHelp("The inbox database file (else $ROUNDS_DB, else ./rounds.sqlite).", valueName: "PATH"))
    var db: String?

    @Option(help: ArgumentHelp("The connections file (else $ROUNDS_CONNECTIONS).", valueName: "FILE"))
    var connections: String?

    @Flag(help: "Deliver what is due now, then exit.")
    var once = false

    @Option(help: ArgumentHelp("Seconds any one call to a platform may take.", visibility: .hidden))
    var httpTimeout: Int = 30

    @OptionGroup var delivery: DeliveryOptions

    func run() async throws {
        let opened = try OpenedInbox(db: db, connections: connections, logLabel: "rounds.deliver")
        defer { close(opened.lock) }
        let (conns, logger, inbox) = (opened.connections, opened.logger, opened.inbox)
        let http = PlatformHTTP(timeoutSeconds: httpTimeout)
        let metrics = ServerMetrics()
        let x = conns.x.flatMap { OAuthToken.x($0, http: http, metrics: metrics, rotationFile: OpenedInbox.xRotationFile(opened.connectionsPath)) }
        let gbp = conns.gbp.map { OAuthToken.gbp($0, http: http, metrics: metrics) }
        let worker = delivery.worker(inbox: inbox, routes: DeliveryRoutes(connections: conns, xToken: x, gbpToken: gbp),
                                     http: http, metrics: metrics, health: nil, logger: logger)
        try worker.prepare()
        if once {
            let attempts = await worker.work(once: true)
            let counts = try inbox.deliveryCounts()
            print("\(attempts) attempt(s); outbox: " + ["sent", "retrying", "failed", "ready", "pending", "cancelled"]
                .map { "\(counts[$0] ?? 0) \($0)" }.joined(separator: ", "))
        } else {
            let group = ServiceGroup(configuration: .init(services: [.init(service: worker)],
                                                          gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
        await http.shutdown()
    }
}
