"""The cart at the counter: kept on the server, one open cart per person per store.

Every change is its own small transaction; the cart survives a reload, the idle
lock and a staff switch because it lives in the database, not in the page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from peewee import JOIN, IntegrityError, Select, fn

from .. import clock, policy
from ..db import Prepared, write_transaction
from ..extensions import db
from ..formatting import contact_masked
from ..models import (
    AgeCheck,
    Cart,
    CartLine,
    Customer,
    Device,
    Product,
    ProductName,
    ProductPrice,
    Registration,
    Staff,
    Store,
    Voucher,
)
from . import DomainError, catalog
from .accounts import ACCOUNT_QR_PREFIX, customer_from_qr

MAX_QUANTITY = 99
MAX_ACCOUNT_QR = 400


def _as_sold_here(query: Select, market_id: int, language: str) -> Select:
    """``query``, joined to Product, also joined to the product's price in the market
    (``product.market_price``, None: not sold there) and its name in the language
    (``product.local_name``, None: the chain's own name)."""
    return (
        query.join(
            ProductPrice,
            JOIN.LEFT_OUTER,
            on=(ProductPrice.product == Product.id) & (ProductPrice.market == market_id),
            attr="market_price",
        )
        .switch(Product)
        .join(
            ProductName,
            JOIN.LEFT_OUTER,
            on=(ProductName.product == Product.id) & (ProductName.language == language),
            attr="local_name",
        )
    )


# The reads of every counter tap, composed once (db.Prepared).
_OPEN_CART = Prepared(
    lambda store_id, staff_id: (
        Cart.select()
        .where((Cart.store == store_id) & (Cart.staff == staff_id) & (Cart.status == "open"))
        .limit(1)
    ),
    store_id=int,
    staff_id=int,
)
# A unit by its serial, with its model as the cart's store sells it: its price in the
# store's market (None: not sold there) and its name in the store's language.
_UNIT_AS_SOLD_HERE = Prepared(
    lambda serial, market_id, language: (
        _as_sold_here(
            Device.select(Device, Product, Store, ProductPrice.id, ProductName.name).join(Product),
            market_id,
            language,
        )
        .switch(Device)
        .join(Store)
        .where(Device.serial == serial)
        .limit(1)
    ),
    serial=str,
    market_id=int,
    language=str,
)
# The writes of every tap, composed once too.
_TOUCH_OPEN_CART = Prepared(
    lambda cart_id, now: Cart.update(updated_at=now).where(
        (Cart.id == cart_id) & (Cart.status == "open")
    ),
    cart_id=int,
    now=datetime,
)
_ADD_UNIT = Prepared(
    lambda cart_id, product_id, device_id, now: CartLine.insert(
        cart=cart_id, product=product_id, device=device_id, quantity=1, created_at=now
    ),
    cart_id=int,
    product_id=int,
    device_id=int,
    now=datetime,
)
_REMOVE_LINE = Prepared(
    lambda line_id, cart_id: CartLine.delete().where(
        (CartLine.id == line_id) & (CartLine.cart == cart_id)
    ),
    line_id=int,
    cart_id=int,
)
# What a scanned code names, if not a serial: a voucher or a product's SKU (by id).
_CODE = Prepared(
    lambda code: Select(
        columns=[
            Voucher.select(Voucher.id).where(Voucher.code == code).alias("voucher_id"),
            Product.select(Product.id).where(Product.sku == code).alias("product_id"),
        ]
    ).bind(db),
    code=str,
)
_LATEST = AgeCheck.alias("latest")
# The cart's lines as its store sells them, each row also carrying the cart's latest age
# check: everything the cart's screen shows, in one read.
_PRICED_LINES = Prepared(
    lambda cart_id, market_id, language: (
        _as_sold_here(
            CartLine.select(
                CartLine, Product, Device, Voucher, ProductPrice, ProductName, AgeCheck
            ).join(Product),
            market_id,
            language,
        )
        .switch(CartLine)
        .join(Device, JOIN.LEFT_OUTER)
        .switch(CartLine)
        .join(Voucher, JOIN.LEFT_OUTER)
        .switch(CartLine)
        .join(
            AgeCheck,
            JOIN.LEFT_OUTER,
            on=(
                AgeCheck.id
                == _LATEST.select(fn.MAX(_LATEST.id)).where(_LATEST.cart == CartLine.cart)
            ),
            attr="latest_check",
        )
        .where(CartLine.cart == cart_id)
        .order_by(CartLine.id)
    ),
    cart_id=int,
    market_id=int,
    language=str,
)


@dataclass
class PricedLine:
    id: int | None
    kind: str  # item | discount | voucher
    description: str
    quantity: int
    unit_price: int
    line_total: int
    vat_rate: int
    product: Product | None = None
    device: Device | None = None
    voucher: Voucher | None = None
    unpriced: bool = False  # its product has no price in this store's market any more

    @property
    def vat_amount(self) -> int:
        return policy.vat_of(self.line_total, self.vat_rate)


@dataclass
class PricedCart:
    cart: Cart
    lines: list[PricedLine]
    required_age: int | None  # None: nothing age-restricted
    age_check: AgeCheck | None
    vat_by_rate: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(line.line_total for line in self.lines)

    @property
    def subtotal(self) -> int:
        return sum(line.line_total for line in self.lines if line.kind != "discount")

    @property
    def discount_total(self) -> int:
        return -sum(line.line_total for line in self.lines if line.kind == "discount")

    @property
    def vat_total(self) -> int:
        return sum(self.vat_by_rate.values())

    @property
    def age_check_needed(self) -> bool:
        return self.required_age is not None and self.age_check is None

    @property
    def unpriced(self) -> list[PricedLine]:
        return [line for line in self.lines if line.unpriced]

    @property
    def is_empty(self) -> bool:
        return not any(line.kind in ("item", "voucher") for line in self.lines)


def open_cart(store: Store, member: Staff) -> Cart:
    """This person's open cart in this store, started when there is none."""
    cart = _OPEN_CART.first(store_id=store.id, staff_id=member.id)
    if cart is not None:
        cart.store = store  # already loaded by the caller: no second read of the store
        return cart
    now = clock.now_utc()
    try:
        with write_transaction(durable=False):
            return Cart.create(
                store=store,
                staff=member,
                idempotency_key=uuid.uuid4().hex,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:
        # Two taps at once both started a cart: the database kept one, use it.
        return Cart.get((Cart.store == store) & (Cart.staff == member) & (Cart.status == "open"))


def _open(cart: Cart) -> None:
    """Mark the cart changed, or refuse if it was finished meanwhile (on another screen).

    One conditional UPDATE both checks and touches the cart, and on PostgreSQL it also
    locks the cart's row until the change commits, so two taps on one cart queue.
    """
    touched = _TOUCH_OPEN_CART.write(cart_id=cart.id, now=clock.now_utc())
    if touched != 1:
        raise DomainError(_("This sale is already finished. Start a new one."), status=409)


def add_product(cart: Cart, product_id: int, quantity: int = 1) -> Product:
    """Add a counted item; returns it as this store sells it (its local name and price)."""
    product = catalog.sellable_product(cart.store, product_id)
    if product is None:
        raise DomainError(_("That product is not in the catalog."), field="code", status=404)
    if product.kind == "device":
        raise DomainError(
            _("Scan the serial number under the box: each device is sold by its serial."),
            field="code",
            status=422,
        )
    with write_transaction(durable=False):
        _open(cart)
        line = CartLine.get_or_none(
            (CartLine.cart == cart) & (CartLine.product == product) & CartLine.voucher.is_null()
        )
        if line is None:
            CartLine.create(
                cart=cart, product=product, quantity=quantity, created_at=clock.now_utc()
            )
        else:
            set_quantity(cart, line.id, line.quantity + quantity)
    return product


def _device_refusal(device: Device, store: Store) -> str:
    if device.store_id != store.id:
        return _(
            "Serial %(serial)s belongs to the stock of %(store)s, not this store.",
            serial=device.serial,
            store=device.store.name,
        )
    return {
        "sold": _("Serial %(serial)s is already sold."),
        "returned": _("Serial %(serial)s was returned under money back and cannot be sold."),
        "replaced_out": _("Serial %(serial)s was swapped out as faulty and cannot be sold."),
    }.get(device.status, _("Serial %(serial)s is not for sale.")) % {"serial": device.serial}


def add_device(cart: Cart, serial: str) -> str:
    """Add one unit by its serial; returns its model's name as this store sells it."""
    device = _UNIT_AS_SOLD_HERE.first(
        serial=serial, market_id=cart.store.market_id, language=cart.store.language
    )
    if device is None:
        raise DomainError(
            _("No device with serial %(serial)s.", serial=serial), field="code", status=404
        )
    if device.store_id != cart.store_id or device.status != "in_stock":
        raise DomainError(_device_refusal(device, cart.store), field="code", status=409)
    model = device.product
    if getattr(model, "market_price", None) is None or not model.is_active:
        raise DomainError(
            _(
                "%(name)s has no price in this store's market, so it cannot be sold here.",
                name=device.product.name,
            ),
            field="code",
            status=409,
        )
    try:
        with write_transaction(durable=False):
            _open(cart)
            _ADD_UNIT.write(
                cart_id=cart.id,
                product_id=device.product_id,
                device_id=device.id,
                now=clock.now_utc(),
            )
    except IntegrityError as err:
        # The unique (cart, device) index answers "already in the cart" in the same write.
        raise DomainError(
            _("Serial %(serial)s is already in the cart.", serial=serial),
            field="code",
            status=409,
        ) from err
    local_name = getattr(model, "local_name", None)
    return local_name.name if local_name is not None else model.name


def scan(cart: Cart, code: str) -> str:
    """Add what a scanner or a person typed; return what happened, in words.

    In order: a customer's account QR (links the sale), a voucher code, a product SKU,
    a device serial.
    """
    raw = (code or "").strip()
    if not raw:
        raise DomainError(_("Scan or type a serial or SKU."), field="code", status=422)
    if raw.upper().startswith(ACCOUNT_QR_PREFIX) and len(raw) <= MAX_ACCOUNT_QR:
        customer = customer_from_qr(raw)
        link_customer(cart, customer)
        return _("Linked to %(email)s.", email=contact_masked(customer.email, customer.mobile))
    if len(raw) > 64:
        raise DomainError(
            _("That code is too long to be a serial or SKU."), field="code", status=422
        )
    named = _CODE.first(code=raw.upper())
    if named["voucher_id"] is not None:
        voucher = Voucher.get_by_id(named["voucher_id"])
        add_voucher(cart, voucher)
        return _("Voucher %(code)s: one free consumables pack.", code=voucher.code)
    if named["product_id"] is not None:
        added = add_product(cart, named["product_id"])
        return _("Added %(name)s.", name=added.name)
    try:
        serial = policy.normalise_serial(raw)
    except ValueError as err:
        raise DomainError(
            _("%(code)s is not a serial or SKU we know.", code=raw), field="code", status=404
        ) from err
    return _("Added %(name)s.", name=add_device(cart, serial))


def link_customer(cart: Cart, customer: Customer) -> None:
    """The sale is for this account: benefits apply now, devices register at completion."""
    with write_transaction(durable=False):
        _open(cart)
        Cart.update(customer=customer, updated_at=clock.now_utc()).where(
            Cart.id == cart.id
        ).execute()
    cart.customer = customer  # the caller prices this very cart next


def add_voucher(cart: Cart, voucher: Voucher) -> None:
    """A welcome voucher becomes a free consumables pack: the pack in the cart, or the first."""
    if voucher.redeemed_at is not None:
        raise DomainError(
            _("Voucher %(code)s is already used.", code=voucher.code), field="code", status=409
        )
    with write_transaction(durable=False):
        _open(cart)
        if (
            CartLine.select()
            .where(CartLine.voucher.is_null(False) & (CartLine.cart == cart))
            .exists()
        ):
            raise DomainError(_("One voucher per sale."), field="code", status=409)
        in_cart = (
            CartLine.select(CartLine.product)
            .join(Product)
            .where((CartLine.cart == cart) & (Product.kind == "consumable"))
            .order_by(CartLine.id.desc())
            .first()
        )
        if in_cart is not None:
            pack = in_cart.product
        else:
            packs = catalog.sellable(cart.store, kind="consumable")
            pack = packs[0] if packs else None
        if pack is None:
            raise DomainError(_("There is no consumables pack to give."), field="code", status=409)
        CartLine.create(cart=cart, product=pack, voucher=voucher, created_at=clock.now_utc())


def set_quantity(cart: Cart, line_id: int, quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise DomainError(
            _("A quantity is from 1 to %(max)d.", max=MAX_QUANTITY), field="quantity", status=422
        )
    with write_transaction(durable=False):
        _open(cart)
        line = CartLine.get_or_none((CartLine.id == line_id) & (CartLine.cart == cart))
        if line is None:
            raise DomainError(_("That line is no longer in the cart."), status=404)
        if line.device_id or line.voucher_id:
            raise DomainError(_("A device or voucher line is always one."), status=422)
        CartLine.update(quantity=quantity).where(CartLine.id == line.id).execute()


def remove_line(cart: Cart, line_id: int) -> None:
    with write_transaction(durable=False):
        _open(cart)
        _REMOVE_LINE.write(line_id=line_id, cart_id=cart.id)


def abandon(cart: Cart) -> None:
    with write_transaction(durable=False):
        Cart.update(status="abandoned", updated_at=clock.now_utc()).where(
            (Cart.id == cart.id) & (Cart.status == "open")
        ).execute()


def _covering(latest: AgeCheck | None, required_age: int) -> AgeCheck | None:
    """The cart's latest check, if it passed and still covers what the cart needs.

    The latest, not the latest passed one: a refusal after a pass stands until a new
    check passes.
    """
    if latest is not None and latest.result == "passed" and latest.required_age >= required_age:
        return latest
    return None


def _benefit_discount(cart: Cart, lines: list[PricedLine]) -> list[PricedLine]:
    """The Benefit Program's accessory discount, one line per VAT rate, for a linked member."""
    if cart.customer_id is None:
        return []
    latest = (
        Registration.select(fn.MAX(Registration.purchase_date))
        .where((Registration.customer == cart.customer_id) & Registration.ended_at.is_null())
        .scalar()
    )
    today = clock.today_in(cart.store.timezone)
    if not policy.benefit_program_active(latest, today):
        return []
    by_rate: dict[int, int] = {}
    for line in lines:
        if line.kind == "item" and line.product is not None and line.product.kind == "accessory":
            by_rate[line.vat_rate] = by_rate.get(line.vat_rate, 0) + line.line_total
    discounts = []
    for rate, amount in sorted(by_rate.items()):
        off = policy.accessory_discount(amount, cart.store.benefit_discount_percent)
        if off:
            discounts.append(
                PricedLine(
                    id=None,
                    kind="discount",
                    description=_(
                        "Benefit Program: %(rate)d%% off accessories",
                        rate=cart.store.benefit_discount_percent,
                    ),
                    quantity=1,
                    unit_price=-off,
                    line_total=-off,
                    vat_rate=rate,
                )
            )
    return discounts


def price(cart: Cart) -> PricedCart:
    """Lines, totals and VAT from the catalog: prices never come from the page.

    Each line is priced in the store's market and named in its language. A line whose
    product has lost its price in this market is kept but marked unpriced, and the sale
    cannot be completed until it is removed.
    """
    store = cart.store
    query = _PRICED_LINES.rows(cart_id=cart.id, market_id=store.market_id, language=store.language)
    lines: list[PricedLine] = []
    restricted_ages: list[int | None] = []
    latest_check = None
    for line in query:
        latest_check = getattr(line, "latest_check", None)
        product = line.product
        market_price = getattr(product, "market_price", None)
        local_name = getattr(product, "local_name", None)
        free = line.voucher_id is not None
        unit_price = 0 if free or market_price is None else market_price.price
        lines.append(
            PricedLine(
                id=line.id,
                kind="voucher" if free else "item",
                description=local_name.name if local_name is not None else product.name,
                quantity=line.quantity,
                unit_price=unit_price,
                line_total=unit_price * line.quantity,
                vat_rate=market_price.vat_rate if market_price is not None else 0,
                product=product,
                device=line.device if line.device_id else None,
                voucher=line.voucher if free else None,
                unpriced=market_price is None,
            )
        )
        if product.age_restricted:
            restricted_ages.append(product.min_age)
    lines += _benefit_discount(cart, lines)
    required = policy.required_age(restricted_ages, store.legal_age) if restricted_ages else None
    vat_by_rate: dict[int, int] = {}
    for line in lines:
        vat_by_rate[line.vat_rate] = vat_by_rate.get(line.vat_rate, 0) + line.vat_amount
    return PricedCart(
        cart=cart,
        lines=lines,
        required_age=required,
        age_check=_covering(latest_check, required) if required is not None else None,
        vat_by_rate={rate: vat for rate, vat in sorted(vat_by_rate.items()) if vat or rate},
    )
