import ArgumentParser
import Connections
import Foundation
import Hummingbird
import InboxModel
import Logging
import ServiceLifecycle
import Store

/// The `rounds-serve` executable: `rounds serve` and `rounds bench serve` run it, so that the
/// console's binary never loads the server's libraries.
@main
struct RoundsServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rounds",
        abstract: "Receive messages live from Meta, X and Google into the inbox.",
        subcommands: [Serve.self, Deliver.self, ServeBench.self, DeliverBench.self],
        defaultSubcommand: Serve.self
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Receive messages live from Meta, X and Google into the inbox.",
        discussion: """
            Webhooks: /webhooks/meta, /webhooks/gbp, /webhooks/x. Operations: /healthz, /readyz, \
            /metrics. Logs are JSON lines on standard error. SIGTERM or SIGINT stops it gracefully: \
            no new requests, what was acknowledged is ingested, exit 0. See docs/operations.md.
            """
    )

    @Option(help: ArgumentHelp("The inbox database file (else $ROUNDS_DB, else ./rounds.sqlite).", valueName: "PATH"))
    var db: String?

    @Option(help: ArgumentHelp("The connections file (else $ROUNDS_CONNECTIONS).", valueName: "FILE"))
    var connections: String?

    @Option(help: ArgumentHelp("Address to listen on; a reverse proxy terminates TLS in front.", valueName: "HOST:PORT"))
    var listen: String = "127.0.0.1:8080"

    @Option(help: ArgumentHelp("Seconds any one call to a platform may take.", visibility: .hidden))
    var httpTimeout: Int = 30

    @Option(help: ArgumentHelp("Seconds between looks for emergencies to page about.", visibility: .hidden))
    var pagingSeconds: Double = 10

    @OptionGroup var delivery: DeliveryOptions

    func run() async throws {
        let (host, port) = try Self.address(listen)
        let opened = try OpenedInbox(db: db, connections: connections, logLabel: "rounds.serve")
        defer { close(opened.lock) }
        let (conns, path, logger, inbox) = (opened.connections, opened.connectionsPath, opened.logger, opened.inbox)
        let metrics = ServerMetrics()
        let health = Health(inbox: inbox, logger: logger)
        let policies = try PoliciesInForce(inbox: inbox, logger: logger)
        let http = PlatformHTTP(timeoutSeconds: httpTimeout)
        let ctx = PollContext(inbox: inbox, policies: policies, health: health, metrics: metrics, http: http, logger: logger)

        let ingest = SpoolIngest(inbox: inbox, policies: policies, metrics: metrics, logger: logger)
        let gbp = conns.gbp.map { GBPConnection($0, ctx: ctx) }
        let spool = SpoolWriter(inbox: inbox) { [ingest, gbp] in
            ingest.nudge()
            gbp?.nudge()
        }
        var services: [any Service] = [ingest]
        let xPoller = conns.x.map { XPoller($0, ctx: ctx, rotationFile: OpenedInbox.xRotationFile(path)) }
        if let xPoller { services.append(xPoller) }
        if let gbp { services.append(gbp) }
        // The pollers' token holders are shared: X's refresh tokens are single use.
        let worker = delivery.worker(inbox: inbox, routes: DeliveryRoutes(connections: conns, xToken: xPoller?.oauth, gbpToken: gbp?.token),
                                     http: http, metrics: metrics, health: health, logger: logger)
        try worker.prepare()
        services.append(worker)
        if let meta = conns.meta { services.append(MetaSubscriptions(meta, ctx: ctx)) }
        if !conns.paging.isEmpty { services.append(Paging(conns.paging, ctx: ctx, interval: max(0.2, pagingSeconds))) }

        let router = Router()
        router.middlewares.add(RequestCounter(metrics: metrics))
        Webhooks(connections: conns, spool: spool, metrics: metrics, logger: logger).add(to: router)
        let configured = [conns.meta != nil ? "Meta" : nil, conns.x != nil ? "X" : nil, conns.gbp != nil ? "GBP" : nil,
                          conns.paging.isEmpty ? nil : Paging.name].compactMap { $0 }
        Operations(inbox: inbox, policies: policies, health: health, metrics: metrics, configured: configured).add(to: router)

        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            services: services,
            onServerRunning: { channel in
                logger.info("listening", metadata: ["address": .string(channel.localAddress?.description ?? listen),
                                                    "port": .stringConvertible(channel.localAddress?.port ?? port),
                                                    "connections": .string(configured.joined(separator: ",")),
                                                    "policies": .string(policies.description)])
            },
            logger: logger
        )
        try await app.runService()
        spool.stop()
        await http.shutdown()
        logger.info("stopped")
    }

    static func address(_ s: String) throws -> (String, Int) {
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen '\(UntrustedText.line(s))' should be HOST:PORT, for example 127.0.0.1:8080")
        }
        var host = String(s[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    /// One server per inbox: two would poll twice and race for the cursors.
    static func lockInbox(_ dbPath: String) throws -> Int32 {
        let path = dbPath + "-serve.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o660)
        guard fd >= 0 else { throw ServeError("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw ServeError("another rounds serve is already running on \(dbPath); stop it first (one server per inbox)")
        }
        return fd
    }

    static func connectionsPath(_ option: String?) throws -> String {
        if let option, !option.isEmpty { return option }
        if let env = ProcessInfo.processInfo.environment["ROUNDS_CONNECTIONS"], !env.isEmpty { return env }
        throw ValidationError("name the connections file: --connections FILE or ROUNDS_CONNECTIONS (docs/operations.md)")
    }
}

/// What `serve` and `deliver` both start with: the connections file read, logs that scrub its
/// secrets, the inbox opened and locked (one server or worker per inbox). Close `lock` at exit.
struct OpenedInbox {
    let connections: Connections
    let connectionsPath: String
    let logger: Logger
    let inbox: InboxDatabase
    let lock: Int32

    init(db: String?, connections option: String?, logLabel: String) throws {
        connectionsPath = try Serve.connectionsPath(option)
        do { connections = try Connections.load(path: connectionsPath) } catch let e as ConnectionsError {
            throw ServeError(UntrustedText.line(e.description))
        }
        let secrets = connections.allSecrets.map { $0.reveal() }
        LoggingSystem.bootstrap { JSONLogHandler(label: $0, secrets: secrets) }
        let logger = Logger(label: logLabel)
        self.logger = logger
        let dbPath = db ?? ProcessInfo.processInfo.environment["ROUNDS_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "rounds.sqlite"
        do { inbox = try InboxDatabase(path: dbPath, upgradeNotice: { logger.notice("\($0)") }) } catch {
            throw ServeError("\(error)")
        }
        lock = try Serve.lockInbox(dbPath)
    }

    /// Where X's rotated refresh token is kept, beside the connections file.
    static func xRotationFile(_ connectionsPath: String) -> String { connectionsPath + ".x-refresh-token" }
}

struct ServeError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Counts every request by endpoint (one of ours, else "other": paths from the internet are
/// not labels) and status.
struct RequestCounter: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: ServerMetrics
    static let known: Set<String> = ["/webhooks/meta", "/webhooks/gbp", "/webhooks/x", "/healthz", "/readyz", "/metrics"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let endpoint = Self.known.contains(request.uri.path) ? request.uri.path : "other"
        do {
            let response = try await next(request, context)
            metrics.request(endpoint: endpoint, status: Int(response.status.code))
            return response
        } catch let e as HTTPResponseError {
            metrics.request(endpoint: endpoint, status: Int(e.status.code))
            throw e
        } catch {
            metrics.request(endpoint: endpoint, status: 500)
            throw error
        }
    }
}
