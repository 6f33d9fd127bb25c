// POST /api/v1/invoicing/zatca-qr: the ZATCA QR payload and its image (server/invoicing/).
import { expect } from 'chai';
import request from 'supertest';
import QRCode from 'qrcode';
import type { RequestListener } from 'node:http';
import type { AppContext } from '../../server/app-context.js';
import { decodeZatcaQr } from '../../engine/index.js';
import { addMember, type TestMember } from '../helpers/api-auth.js';
import { openApiEnv, type ApiEnv } from '../helpers/api-env.js';

describe('ZATCA QR API', function () {
  this.timeout(60_000);
  let env: ApiEnv | undefined;
  let ctx: AppContext;
  let app: RequestListener;
  let member: TestMember;
  const body = { sellerName: 'شركة تدفق للبرمجيات', vatNumber: '310122393500003', timestamp: '2026-03-01T09:00:00Z', totalWithVatHalalas: 115050, vatTotalHalalas: 15006 };

  before(async () => {
    env = await openApiEnv('sqlite', 'zatca');
    ({ ctx, app } = env);
    member = await addMember(ctx, (await ctx.tenants.ensure('zatca', 'ZATCA')).id, 'viewer');
  });
  after(async () => env?.close());

  it('answers the base64 TLV with amounts from halalas, and a PNG and SVG of exactly that payload', async () => {
    const res = await request(app).post('/api/v1/invoicing/zatca-qr').set(member.headers).send(body).expect(200);
    expect(decodeZatcaQr(res.body.payload as string)).to.deep.equal([
      { tag: 1, value: 'شركة تدفق للبرمجيات' },
      { tag: 2, value: '310122393500003' },
      { tag: 3, value: '2026-03-01T09:00:00Z' },
      { tag: 4, value: '1150.50' },
      { tag: 5, value: '150.06' },
    ]);
    const png = res.body.png as string;
    expect(png.startsWith('data:image/png;base64,')).to.equal(true);
    const bytes = Buffer.from(png.slice('data:image/png;base64,'.length), 'base64');
    // PNG signature, then the IHDR chunk: width and height, big-endian, at bytes 16 and 20.
    expect(bytes.subarray(1, 4).toString('latin1')).to.equal('PNG');
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).to.deep.equal([256, 256]);
    // The same image the qrcode library makes for the expected payload (the payload is what the code holds).
    expect(png).to.equal(await QRCode.toDataURL(res.body.payload as string, { errorCorrectionLevel: 'M', margin: 2, width: 256 }));
    expect(res.body.svg).to.match(/^<svg[\s\S]*<\/svg>\s*$/);
  });

  it('refuses bad input with precise paths (400), never a 500', async () => {
    const bad = await request(app)
      .post('/api/v1/invoicing/zatca-qr')
      .set(member.headers)
      .send({ ...body, vatNumber: '123', totalWithVatHalalas: 10.5, timestamp: 'yesterday' })
      .expect(400);
    expect((bad.body.error.details as { path: string }[]).map((d) => d.path).sort()).to.deep.equal(['/body/timestamp', '/body/totalWithVatHalalas', '/body/vatNumber']);
    const vat = await request(app).post('/api/v1/invoicing/zatca-qr').set(member.headers).send({ ...body, vatTotalHalalas: 200000 }).expect(400);
    expect(vat.body.error.details[0].path).to.equal('/body/vatTotalHalalas');
    // 200 Arabic letters: within 255 characters, past 255 UTF-8 bytes.
    const long = await request(app).post('/api/v1/invoicing/zatca-qr').set(member.headers).send({ ...body, sellerName: 'ت'.repeat(200) }).expect(400);
    expect(long.body.error.details[0]).to.include({ path: '/body/sellerName', code: 'too_long' });
    await request(app).post('/api/v1/invoicing/zatca-qr').send(body).expect(401);
  });
});
