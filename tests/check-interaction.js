// Asking the user from JavaScript (issue 10 item 1): a GJS subclass of
// Mailsync.Interaction (through the Mailsync-1.0 typelib) answers a
// password question and a certificate question from the JS main loop,
// against the harness Dovecot that check-interaction-gjs.sh started (its
// env file in the environment):
//
//  - password: a wrong configured password, then the interaction is asked
//    with MailsyncError.AUTHENTICATION_FAILED and answers the right one;
//  - certificate: implicit TLS without the harness CA (UNKNOWN_CA),
//    rejected (the open fails with the TLS error), then accepted.
//
// GJS 1.74 (Debian 12) cannot implement a virtual method that takes a
// callback ("VFunc ask_password_async accepts another callback as a
// parameter. This is not supported"), so the subclass overrides the
// blocking ask_password/accept_certificate, which the library calls on
// the thread and main context of the open_async() caller, and answers
// as a modal dialog does: it runs a nested main loop until a main-loop
// source (here an idle callback standing for the user's click) gives the
// answer; the client's other sources keep running meanwhile.
//
// The asynchronous path (signalQuestions) needs no vfunc: a plain
// Mailsync.Interaction's "ask" signal hands over a Mailsync.Question,
// which the handler keeps and answers later from the main loop
// (answer_password, accept, reject), as a non-modal dialog does.
//
// Prints TAP. check-interaction.c (C, the async vfuncs) and
// check-interaction-gi.py (PyGObject) cover the same library code.

imports.gi.versions.Mailsync = '1.0';
const {GLib, Gio, GObject} = imports.gi;
const Mailsync = imports.gi.Mailsync;
const System = imports.system;

// Generous: a loaded CI machine may be slow; nothing here sleeps.
const DEADLINE_SECONDS = 60;
const Result = Mailsync.InteractionResult;

let n = 0;
let failed = 0;
// With @todo (why it is expected to fail) a failure is a TAP TODO and
// does not fail the script; a pass is an XPASS, which make check reports.
function check(label, ok, detail, todo) {
    n++;
    if (!ok && !todo)
        failed++;
    print(`${ok ? 'ok' : 'not ok'} ${n} - ${label}${todo ? ' # TODO ' + todo : ''}`);
    // the detail on "# " lines, never on the result line (TAP directives)
    if (!ok && detail !== undefined)
        for (const line of String(detail).split('\n'))
            print(`#   ${line}`);
}

function env(key) {
    const value = GLib.getenv(key);
    if (value === null)
        throw new Error(`${key} is not set (run by check-interaction-gjs.sh)`);
    return value;
}

// A "dialog": waits in a nested main loop until a main-loop source
// answers, and counts what else the loop dispatched meanwhile.
function askInLoop(answer) {
    const loop = new GLib.MainLoop(null, false);
    const state = {answered: false, value: undefined, ticks: 0};
    // another source of the client (a UI's redraw), running during the question
    const ticker = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 1, () => {
        state.ticks++;
        return GLib.SOURCE_CONTINUE;
    });
    // the user's answer: after the ticker has run, so the question
    // really stayed open across main-loop iterations
    const user = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 1, () => {
        if (state.ticks < 3)
            return GLib.SOURCE_CONTINUE;
        state.answered = true;
        state.value = answer();
        loop.quit();
        return GLib.SOURCE_REMOVE;
    });
    const deadline = GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, DEADLINE_SECONDS, () => {
        loop.quit();
        return GLib.SOURCE_REMOVE;
    });
    loop.run();
    GLib.source_remove(ticker);
    if (!state.answered)
        GLib.source_remove(user);
    else
        GLib.source_remove(deadline);
    return state;
}

const Asker = GObject.registerClass(
class Asker extends Mailsync.Interaction {
    _init(passwords, accept) {
        super._init();
        this.passwords = passwords;
        this.accept = accept;
        this.questions = [];
        this.certificates = [];
    }

    vfunc_ask_password(repository, user, host, previousError, cancellable) {
        // previousError is only valid during this call: keep what we check
        const question = {
            repository, user, host,
            refused: previousError !== null &&
                previousError.matches(Mailsync.error_quark(), Mailsync.Error.AUTHENTICATION_FAILED),
            previous: previousError === null ? 'none' : previousError.message,
        };
        this.questions.push(question);
        const state = askInLoop(() => this.passwords.length > 0 ? this.passwords.shift() : null);
        question.answered = state.answered;
        question.ticks = state.ticks;
        if (!state.answered || state.value === null)
            return [Result.UNHANDLED, null];
        return [Result.HANDLED, state.value];
    }

    vfunc_accept_certificate(repository, host, pem, errors, cancellable) {
        const question = {repository, host, pem, errors};
        this.certificates.push(question);
        const state = askInLoop(() => this.accept);
        question.answered = state.answered;
        question.ticks = state.ticks;
        return state.answered ? [Result.HANDLED, state.value] : [Result.UNHANDLED, false];
    }
});

// The asynchronous path of a JS client: no subclass, a handler of the
// interaction's "ask" signal keeps the Mailsync.Question and answers it
// later from the main loop (a non-modal dialog): no nested loop. The
// question stays open while the loop runs other sources (ticks); the
// answer comes from a timeout standing for the user's click.
function signalAsker(answer) {
    const interaction = new Mailsync.Interaction();
    const asked = [];
    interaction.connect('ask', (self, question) => {
        const record = {
            kind: question.get_kind(),
            repository: question.get_repository(),
            user: question.get_user(),
            host: question.get_host(),
            previous: question.get_previous_error(),
            pem: question.get_certificate_pem(),
            certificate: question.get_certificate(),
            errors: question.get_certificate_errors(),
            ticks: 0,
            answered: false,
            taken: false,
        };
        asked.push(record);
        // the closure keeps the question until the answer
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, 1, () => {
            if (++record.ticks < 3)
                return GLib.SOURCE_CONTINUE;
            record.taken = answer(question);
            record.answered = question.is_answered();
            return GLib.SOURCE_REMOVE;
        });
    });
    return {interaction, asked};
}

function signalQuestions() {
    const Kind = Mailsync.QuestionKind;
    let repo = Mailsync.ImapRepository.new('Remote', env('DOVECOT_HOST'), Number(env('DOVECOT_PORT')));
    repo.ssl = false;
    repo.starttls = true;
    repo.user = env('DOVECOT_USER');
    repo.password = 'Wr0ng-by-signal';
    repo.ca_file = env('DOVECOT_CA');
    const pw = signalAsker(q => q.answer_password(env('DOVECOT_PASS')));
    repo.set_interaction(pw.interaction);
    let result = openInLoop(repo);
    check('ask signal: the open succeeds with the password answered later from the loop', result === true, result);
    check('ask signal: asked once', pw.asked.length === 1, pw.asked.length);
    const q = pw.asked[0] || {};
    check('ask signal: a NEW_PASSWORD question carrying the refusal',
        q.kind === Kind.NEW_PASSWORD && q.previous !== null && q.previous !== undefined &&
        q.previous.matches(Mailsync.error_quark(), Mailsync.Error.AUTHENTICATION_FAILED),
        `${q.kind} ${q.previous}`);
    check('ask signal: the repository, user and host',
        q.repository === 'Remote' && q.user === env('DOVECOT_USER') && q.host === env('DOVECOT_HOST'),
        `${q.repository} ${q.user} ${q.host}`);
    check('ask signal: answered asynchronously, after other sources ran, and taken',
        q.ticks >= 3 && q.taken === true && q.answered === true, `${q.ticks} ticks, taken ${q.taken}`);
    if (result === true)
        closeRepository(repo);

    repo = untrusted();
    const cert = signalAsker(question => question.accept());
    repo.set_interaction(cert.interaction);
    result = openInLoop(repo);
    check('ask signal: certificate accepted later: the open succeeds', result === true, result);
    const c = cert.asked[0] || {};
    check('ask signal: a CERTIFICATE question with the host, UNKNOWN_CA, PEM and Gio.TlsCertificate',
        cert.asked.length === 1 && c.kind === Kind.CERTIFICATE && c.host === env('DOVECOT_HOST') &&
        (c.errors & Gio.TlsCertificateFlags.UNKNOWN_CA) !== 0 &&
        typeof c.pem === 'string' && c.pem.startsWith('-----BEGIN CERTIFICATE-----\n') &&
        c.certificate instanceof Gio.TlsCertificate,
        `${cert.asked.length} ${c.kind} ${c.host} ${c.errors} ${c.certificate}`);
    if (result === true)
        closeRepository(repo);

    repo = untrusted();
    const no = signalAsker(question => question.reject());
    repo.set_interaction(no.interaction);
    result = openInLoop(repo);
    check('ask signal: certificate rejected later: the open fails with the TLS error',
        result instanceof GLib.Error && result.matches(Gio.tls_error_quark(), Gio.TlsError.BAD_CERTIFICATE),
        result);
}

// repository.open_async() from a main loop, with a deadline: true, or
// the GLib.Error, or a string saying that no result came.
function openInLoop(repo) {
    const loop = new GLib.MainLoop(null, false);
    let outcome = null;
    repo.open_async(null, (source, res) => {
        try {
            outcome = source.open_finish(res);
        } catch (e) {
            outcome = e;
        }
        loop.quit();
    });
    const deadline = GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, DEADLINE_SECONDS, () => {
        loop.quit();
        return GLib.SOURCE_REMOVE;
    });
    loop.run();
    if (outcome === null)
        return `no result within ${DEADLINE_SECONDS} s`;
    GLib.source_remove(deadline);
    return outcome;
}

function closeRepository(repo) {
    try {
        repo.close(null);
    } catch (e) {
        print(`# close: ${e.message}`);
    }
}

function passwordRetry() {
    const repo = Mailsync.ImapRepository.new('Remote', env('DOVECOT_HOST'), Number(env('DOVECOT_PORT')));
    repo.ssl = false;
    repo.starttls = true;
    repo.user = env('DOVECOT_USER');
    repo.password = 'Wr0ng-from-gjs';
    repo.ca_file = env('DOVECOT_CA');
    const asker = new Asker([env('DOVECOT_PASS')], false);
    repo.set_interaction(asker);

    const result = openInLoop(repo);
    check('password: the open succeeds with the answered password', result === true, result);
    check('password: asked once', asker.questions.length === 1, asker.questions.length);
    const q = asker.questions[0] || {};
    check('password: asked with the refusal as MailsyncError.AUTHENTICATION_FAILED', q.refused === true,
        q.previous);
    check('password: asked for the repository, user and host',
        q.repository === 'Remote' && q.user === env('DOVECOT_USER') && q.host === env('DOVECOT_HOST'),
        `${q.repository} ${q.user} ${q.host}`);
    check('password: answered by a main-loop source while the question was open',
        q.answered === true && q.ticks >= 3, `answered ${q.answered}, ${q.ticks} ticks`);
    if (result === true)
        closeRepository(repo);
}

function untrusted() {
    const repo = Mailsync.ImapRepository.new('Remote', env('DOVECOT_HOST'), Number(env('DOVECOT_IMAPS_PORT')));
    repo.ssl = true;
    repo.user = env('DOVECOT_USER');
    repo.password = env('DOVECOT_PASS');
    return repo;
}

function certificates() {
    let repo = untrusted();
    const no = new Asker([], false);
    repo.set_interaction(no);
    let result = openInLoop(repo);
    check('certificate rejected: the open fails with the TLS error',
        result instanceof GLib.Error && result.matches(Gio.tls_error_quark(), Gio.TlsError.BAD_CERTIFICATE),
        result);
    check('certificate rejected: asked once', no.certificates.length === 1, no.certificates.length);
    const c = no.certificates[0] || {};
    check('certificate: the repository and host are passed',
        c.repository === 'Remote' && c.host === env('DOVECOT_HOST'), `${c.repository} ${c.host}`);
    check('certificate: the flags say UNKNOWN_CA', ((c.errors || 0) & Gio.TlsCertificateFlags.UNKNOWN_CA) !== 0,
        c.errors);
    check('certificate: the PEM is a certificate',
        typeof c.pem === 'string' && c.pem.startsWith('-----BEGIN CERTIFICATE-----\n'), c.pem);
    check('certificate: answered by a main-loop source while the question was open',
        c.answered === true && c.ticks >= 3, `answered ${c.answered}, ${c.ticks} ticks`);

    repo = untrusted();
    const yes = new Asker([], true);
    repo.set_interaction(yes);
    result = openInLoop(repo);
    check('certificate accepted: the open succeeds', result === true, result);
    check('certificate accepted: asked once', yes.certificates.length === 1, yes.certificates.length);
    if (result === true)
        closeRepository(repo);
}

try {
    passwordRetry();
    certificates();
    signalQuestions();
} catch (e) {
    // a JS error mid-way: no plan, so the TAP driver reports an ERROR
    printerr(`${e}\n${e.stack || ''}`);
    System.exit(1);
}
print(`1..${n}`);
System.exit(failed ? 1 : 0);
