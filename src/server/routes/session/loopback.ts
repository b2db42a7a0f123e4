/** Whether a client address is this machine's own (loopback), in IPv4, IPv6 or IPv4-mapped form. */
import { BlockList } from 'node:net';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

export function isLoopback(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return loopback.check(mapped[1]!, 'ipv4');
  return ip.includes(':') ? loopback.check(ip, 'ipv6') : loopback.check(ip, 'ipv4');
}
