/**
 * `cidr`: tags an address field with the name of the first network list that contains it.
 * `{"cidr": {"field": "client.ip", "target": "network", "networks": {"internal": ["10.0.0.0/8",
 * "192.168.0.0/16", "fd00::/8"], "vpn": ["100.64.0.0/10"]}, "default": "external"}}`. IPv4
 * and IPv6; a value that is not an address is an error. Invalid CIDRs fail at compile time.
 */
import { z } from 'zod';
import { fieldAccessor } from './event-fields.ts';
import { type Cidr, inCidr, parseCidr, parseIp } from './ip.ts';
import { field } from './options.ts';
import { defineProcessor } from './processor-def.ts';

export const cidr = defineProcessor({
  name: 'cidr',
  schema: z.strictObject({
    field,
    target: field.default('network'),
    networks: z
      .record(z.string().min(1), z.array(z.string()).min(1))
      .refine((m) => Object.keys(m).length > 0, 'name at least one network list'),
    default: z.string().optional(),
  }),
  build(o, ctx) {
    const lists: Array<{ name: string; nets: Cidr[] }> = Object.entries(o.networks).map(([name, texts]) => ({
      name,
      nets: texts.map(
        (t, i) => parseCidr(t) ?? ctx.fail(`networks.${name}[${i}]`, `"${t}" is not a CIDR block`),
      ),
    }));
    const src = fieldAccessor(o.field);
    const to = fieldAccessor(o.target);
    return {
      name: 'cidr',
      process(ev) {
        const v = src.get(ev);
        if (typeof v !== 'string') return true;
        const ip = parseIp(v.trim());
        if (ip === null) throw new Error(`${o.field}="${v.slice(0, 60)}" is not an IP address`);
        for (const l of lists) {
          for (const n of l.nets) {
            if (inCidr(ip, n)) {
              to.set(ev, l.name);
              return true;
            }
          }
        }
        if (o.default !== undefined) to.set(ev, o.default);
        return true;
      },
    };
  },
});
