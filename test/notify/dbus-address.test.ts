import { describe, expect, it } from 'vitest';
import { defaultSessionBusAddress, parseBusAddress } from '../../src/notify/dbus-address.js';

describe('D-Bus addresses', () => {
  it('lists unix path and abstract sockets in order, skipping transports we cannot use', () => {
    expect(parseBusAddress('tcp:host=localhost,port=1;unix:path=/run/user/1000/bus;unix:abstract=/tmp/dbus-x,guid=ab')._unsafeUnwrap())
      .toEqual(['/run/user/1000/bus', '\0/tmp/dbus-x']);
  });

  it('unescapes percent-encoded values', () => {
    expect(parseBusAddress('unix:path=/tmp/a%20b%2cc')._unsafeUnwrap()).toEqual(['/tmp/a b,c']);
  });

  it('is NO_SESSION_BUS when there is nothing to connect to', () => {
    for (const address of [undefined, '', '  ', 'tcp:host=x,port=1', 'unix:tmpdir=/tmp', 'unix:path=%zz']) {
      expect(parseBusAddress(address)._unsafeUnwrapErr().code).toBe('NO_SESSION_BUS');
    }
  });

  it('falls back to the systemd user bus socket when the variable is unset', () => {
    expect(defaultSessionBusAddress({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' })).toBe('unix:path=/x');
    const fallback = defaultSessionBusAddress({ XDG_RUNTIME_DIR: '/run/user/1000,odd' });
    expect(parseBusAddress(fallback)._unsafeUnwrap()).toEqual(['/run/user/1000,odd/bus']);
    expect(defaultSessionBusAddress({})).toBeUndefined();
  });
});
