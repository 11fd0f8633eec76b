#!/usr/bin/env python3
"""Test helper: a minimal org.freedesktop.Notifications server (spec 1.2) on the bus at DBUS_SESSION_BUS_ADDRESS.

Built on GLib's GDBus, an implementation independent of the client under test, so what it records can be trusted.
Prints "ready" once it owns the name, then one JSON line per Notify call it receives.

Options: --capabilities a,b,c   what GetCapabilities answers; "none" makes it an unknown method
         --unresponsive         records Notify calls but never answers anything, like a hung desktop shell
"""
import argparse
import json
import sys

from gi.repository import Gio, GLib

INTERFACE = "org.freedesktop.Notifications"
XML = f"""<node><interface name="{INTERFACE}">
  <method name="Notify">
    <arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
    <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
    <arg type="a{{sv}}" direction="in"/><arg type="i" direction="in"/><arg type="u" direction="out"/>
  </method>
  <method name="CloseNotification"><arg type="u" direction="in"/></method>
  <method name="GetCapabilities"><arg type="as" direction="out"/></method>
  <method name="GetServerInformation">
    <arg type="s" direction="out"/><arg type="s" direction="out"/><arg type="s" direction="out"/><arg type="s" direction="out"/>
  </method>
</interface></node>"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--capabilities", default="body")
    parser.add_argument("--unresponsive", action="store_true")
    options = parser.parse_args()
    capabilities = None if options.capabilities == "none" else [c for c in options.capabilities.split(",") if c]
    last_id = 0
    # Unanswered invocations are kept, or GLib would answer them with an error when they are freed.
    pending = []

    def on_call(connection, sender, path, interface, method, parameters, invocation):
        nonlocal last_id
        if method == "Notify":
            app, replaces, icon, summary, body, actions, hints, expire = parameters.unpack()
            if options.unresponsive:
                pending.append(invocation)
            else:
                last_id += 1
                invocation.return_value(GLib.Variant("(u)", (last_id,)))
            record = {"id": last_id, "appName": app, "replacesId": replaces, "icon": icon, "summary": summary,
                      "body": body, "actions": actions, "hints": hints, "expireTimeout": expire}
            print(json.dumps(record), flush=True)
            return
        if options.unresponsive:
            pending.append(invocation)
        elif method == "GetCapabilities" and capabilities is not None:
            invocation.return_value(GLib.Variant("(as)", (capabilities,)))
        elif method == "GetServerInformation":
            invocation.return_value(GLib.Variant("(ssss)", ("comfyui-dl-test", "comfyui-dl", "1.0", "1.2")))
        elif method == "CloseNotification":
            invocation.return_value(None)
        else:
            invocation.return_dbus_error("org.freedesktop.DBus.Error.UnknownMethod", f"no method {interface}.{method}")

    connection = Gio.DBusConnection.new_for_address_sync(
        GLib.getenv("DBUS_SESSION_BUS_ADDRESS"),
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
        None, None)
    # The object is there before the name: a client that sees the name can call it at once.
    connection.register_object("/org/freedesktop/Notifications", Gio.DBusNodeInfo.new_for_xml(XML).interfaces[0], on_call, None, None)
    loop = GLib.MainLoop()
    Gio.bus_own_name_on_connection(
        connection, INTERFACE, Gio.BusNameOwnerFlags.DO_NOT_QUEUE,
        lambda c, n: print("ready", flush=True), lambda c, n: sys.exit(f"could not own {INTERFACE}"))
    loop.run()


if __name__ == "__main__":
    main()
